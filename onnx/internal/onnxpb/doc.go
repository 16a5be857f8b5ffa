// Package onnxpb is the Go code protoc generates from ONNX's official
// onnx.proto3 (ONNX 1.12, IR version 8, Apache-2.0). onnx.proto3 was produced
// from the onnx.in.proto that Debian's python3-onnx 1.12 ships, by ONNX's own
// gen_proto.translate (proto 3, no ML extensions).
//
// To regenerate (Debian: apt-get install protobuf-compiler; protoc 3.21.12):
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	go generate ./onnx/internal/onnxpb
package onnxpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go_opt=Monnx.proto3=github.com/gocnn/gocnn/onnx/internal/onnxpb onnx.proto3
