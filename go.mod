module github.com/gocnn/gocnn

go 1.26.0

require (
	github.com/klauspost/cpuid/v2 v2.4.2
	gonum.org/v1/gonum v0.17.0
	google.golang.org/protobuf v1.36.12
)

require golang.org/x/sys v0.50.0

require golang.org/x/image v0.48.0
