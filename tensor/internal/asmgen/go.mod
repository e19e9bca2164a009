module github.com/gotabular/gotabular/tensor/internal/asmgen

go 1.26.0

require github.com/mmcloughlin/avo v0.6.0

require (
	golang.org/x/mod v0.23.0 // indirect
	golang.org/x/sync v0.11.0 // indirect
	golang.org/x/tools v0.30.0 // indirect; avo v0.6.0 asks for v0.16.1, which does not build with Go 1.26
)
