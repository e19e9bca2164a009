// Package methods registers the self-supervised methods that ship with
// gotabular. Import it for its side effect where any saved model must load
// and any method be offered by name:
//
//	import _ "github.com/gotabular/gotabular/ssl/methods"
//
// A new method is a package that registers itself with [ssl.Register] and
// a line here; the facade and the command line learn of it from the
// registry.
package methods

import (
	_ "github.com/gotabular/gotabular/ssl/dae"   // DenoisingAutoEncoder
	_ "github.com/gotabular/gotabular/ssl/scarf" // SCARF
	_ "github.com/gotabular/gotabular/ssl/vime"  // VIME
)
