package nn

import "github.com/gotabular/gotabular/tensor"

// UseAttentionGEMM makes m take the batched GEMM whatever its shape, so
// that tests can compare the two paths.
func UseAttentionGEMM(m *MultiHeadAttention) { m.useGEMM = true }

// SmallAttention exposes the choice of path.
var SmallAttention = smallAttention

// AttentionProbs returns P and drop(P) of m's last forward pass, (h·B·T)×T.
func AttentionProbs(m *MultiHeadAttention) (p, dropped *tensor.Mat) { return m.scores, m.prob }
