package gotabular

import "github.com/gotabular/gotabular/nn"

// ParamsForTest exposes a model's parameters to the external tests.
func ParamsForTest(m *TabularModel) []*nn.Param { return m.params() }
