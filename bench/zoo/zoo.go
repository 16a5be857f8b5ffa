// Package zoo builds the standard ImageNet classifiers as ONNX models with
// seeded random weights, for benchmarks and tests that must not depend on
// downloaded files.
//
// The architectures are torchvision's (ResNet-18/50, MobileNetV2, SqueezeNet
// 1.1, VGG-16, AlexNet, GoogLeNet without auxiliary heads, ShuffleNetV2 x1.0,
// EfficientNet-B0) in eval mode, written the way torch.onnx exports them at
// opset 13 except that BatchNormalization stays a node of its own. Every
// model has the float32 input "input" [N,3,224,224] (N symbolic) and the
// output "output" [N,1000]. bench/check_zoo_shapes.py compares the layers
// with real torchvision exports.
//
// Weights are He-scaled and BatchNormalization statistics are chosen so
// activations stay of order one; the outputs are meaningless as classes but
// numerically well behaved.
//
//	m := zoo.ResNet50(1)
//	data, err := onnx.Encode(m)
//
// The Builder that writes them is exported for other architectures.
package zoo

import (
	"errors"
	"fmt"
	"sort"

	"github.com/gocnn/gocnn/onnx"
)

// Size is the input height and width of the standard models.
const Size = 224

var archs = map[string]func(*Builder) string{
	"resnet18":           resnet18,
	"resnet50":           resnet50,
	"mobilenet_v2":       mobilenetV2,
	"squeezenet1_1":      squeezenet11,
	"vgg16":              vgg16,
	"alexnet":            alexnet,
	"googlenet":          googlenet,
	"shufflenet_v2_x1_0": shufflenetV2,
	"efficientnet_b0":    efficientnetB0,
}

// Names lists the models Build knows, sorted; they are torchvision's names.
func Names() []string {
	names := make([]string, 0, len(archs))
	for n := range archs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Build returns the named model for 224×224 inputs with weights drawn from
// seed.
func Build(name string, seed int64) (*onnx.Model, error) {
	return BuildSize(name, seed, Size)
}

// BuildSize returns the named model for size×size inputs (smaller inputs make
// fast tests). VGG-16 and AlexNet only accept sizes whose final feature map
// is a whole multiple of their adaptive pool (7×7, 6×6), e.g. 224.
func BuildSize(name string, seed int64, size int) (m *onnx.Model, err error) {
	arch, ok := archs[name]
	if !ok {
		return nil, fmt.Errorf("zoo: unknown model %q (have %v)", name, Names())
	}
	if size < 1 {
		return nil, fmt.Errorf("zoo: input size %d", size)
	}
	defer func() {
		if r := recover(); r != nil {
			var be *BuildError
			if e, ok := r.(error); !ok || !errors.As(e, &be) {
				panic(r)
			}
			m, err = nil, fmt.Errorf("zoo: %s at %d×%d: %s", name, size, size, be.Msg)
		}
	}()
	b := NewBuilder(name, seed, 3, size, size)
	return b.Model(arch(b)), nil
}

func must(name string, seed int64) *onnx.Model {
	m, err := Build(name, seed)
	if err != nil {
		panic(err)
	}
	return m
}

// ResNet18 is torchvision's resnet18.
func ResNet18(seed int64) *onnx.Model { return must("resnet18", seed) }

// ResNet50 is torchvision's resnet50 (v1.5: stride on the 3×3 convolution).
func ResNet50(seed int64) *onnx.Model { return must("resnet50", seed) }

// MobileNetV2 is torchvision's mobilenet_v2 (width 1.0, ReLU6 as Clip).
func MobileNetV2(seed int64) *onnx.Model { return must("mobilenet_v2", seed) }

// SqueezeNet11 is torchvision's squeezenet1_1.
func SqueezeNet11(seed int64) *onnx.Model { return must("squeezenet1_1", seed) }

// VGG16 is torchvision's vgg16 (no batch norm; about 138M parameters).
func VGG16(seed int64) *onnx.Model { return must("vgg16", seed) }

// AlexNet is torchvision's alexnet.
func AlexNet(seed int64) *onnx.Model { return must("alexnet", seed) }

// GoogLeNet is torchvision's googlenet without the auxiliary classifiers
// and without input transformation.
func GoogLeNet(seed int64) *onnx.Model { return must("googlenet", seed) }

// ShuffleNetV2 is torchvision's shufflenet_v2_x1_0; the channel split is a
// Split node and the shuffle Reshape/Transpose/Reshape.
func ShuffleNetV2(seed int64) *onnx.Model { return must("shufflenet_v2_x1_0", seed) }

// EfficientNetB0 is torchvision's efficientnet_b0; SiLU is Sigmoid then Mul.
func EfficientNetB0(seed int64) *onnx.Model { return must("efficientnet_b0", seed) }
