package zoo

import "strconv"

// The architectures follow torchvision's definitions (eval mode: dropout and
// stochastic depth are identities and are left out; BatchNorm stays a
// separate node, which gocnn folds into the Conv before it).

func itoa(i int) string { return strconv.Itoa(i) }

// convBN is Conv (no bias), BatchNorm and, if act is not nil, the activation.
func (b *Builder) convBN(x string, cout, k, stride, pad, groups int, act func(string) string) string {
	y := b.BatchNorm(b.Conv(x, cout, k, stride, pad, groups))
	if act != nil {
		y = act(y)
	}
	return y
}

func (b *Builder) relu6(x string) string { return b.Clip(x, 0, 6) }

// classifier is the usual head: flatten and a Linear to 1000 classes.
func (b *Builder) classifier(x string) string {
	defer b.Scope("fc")()
	return b.Gemm(b.Flatten(x), 1000)
}

// ---- ResNet ----

func basicBlock(b *Builder, x string, planes, stride int) string {
	in := b.Channels(x)
	y := b.Relu(b.BatchNorm(b.Conv(x, planes, 3, stride, 1, 1)))
	y = b.BatchNorm(b.Conv(y, planes, 3, 1, 1, 1))
	id := x
	if stride != 1 || in != planes {
		restore := b.Scope("downsample")
		id = b.BatchNorm(b.Conv(x, planes, 1, stride, 0, 1))
		restore()
	}
	return b.Relu(b.Add(y, id))
}

// bottleneck is torchvision's ResNet v1.5 block: the stride is on the 3×3.
func bottleneck(b *Builder, x string, planes, stride int) string {
	in := b.Channels(x)
	y := b.Relu(b.BatchNorm(b.Conv(x, planes, 1, 1, 0, 1)))
	y = b.Relu(b.BatchNorm(b.Conv(y, planes, 3, stride, 1, 1)))
	y = b.BatchNorm(b.Conv(y, planes*4, 1, 1, 0, 1))
	id := x
	if stride != 1 || in != planes*4 {
		restore := b.Scope("downsample")
		id = b.BatchNorm(b.Conv(x, planes*4, 1, stride, 0, 1))
		restore()
	}
	return b.Relu(b.Add(y, id))
}

func resnet(b *Builder, block func(*Builder, string, int, int) string, layers [4]int) string {
	x := b.Relu(b.BatchNorm(b.Conv(b.Input(), 64, 7, 2, 3, 1)))
	x = b.MaxPool(x, 3, 2, 1, false)
	for i, n := range layers {
		planes := 64 << i
		for j := range n {
			stride := 1
			if i > 0 && j == 0 {
				stride = 2
			}
			restore := b.Scope("layer" + itoa(i+1) + "." + itoa(j))
			x = block(b, x, planes, stride)
			restore()
		}
	}
	return b.classifier(b.GlobalAvgPool(x))
}

func resnet18(b *Builder) string { return resnet(b, basicBlock, [4]int{2, 2, 2, 2}) }
func resnet50(b *Builder) string { return resnet(b, bottleneck, [4]int{3, 4, 6, 3}) }

// ---- MobileNetV2 ----

// makeDivisible rounds v to the nearest multiple of d, never below 90% of v
// (torchvision's _make_divisible).
func makeDivisible(v float64, d int) int {
	n := max(d, int(v+float64(d)/2)/d*d)
	if float64(n) < 0.9*v {
		n += d
	}
	return n
}

func mobilenetV2(b *Builder) string {
	x := b.convBN(b.Input(), 32, 3, 2, 1, 1, b.relu6)
	settings := [][4]int{ // expansion t, channels c, repeats n, stride s
		{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1},
	}
	block := 1
	for _, st := range settings {
		t, c, n, s := st[0], st[1], st[2], st[3]
		for i := range n {
			stride := 1
			if i == 0 {
				stride = s
			}
			restore := b.Scope("features." + itoa(block))
			in := b.Channels(x)
			hidden := in * t
			y := x
			if t != 1 {
				y = b.convBN(y, hidden, 1, 1, 0, 1, b.relu6)
			}
			y = b.convBN(y, hidden, 3, stride, 1, hidden, b.relu6)
			y = b.convBN(y, c, 1, 1, 0, 1, nil)
			if stride == 1 && in == c {
				y = b.Add(x, y)
			}
			x = y
			restore()
			block++
		}
	}
	restore := b.Scope("features." + itoa(block))
	x = b.convBN(x, 1280, 1, 1, 0, 1, b.relu6)
	restore()
	return b.classifier(b.GlobalAvgPool(x))
}

// ---- SqueezeNet 1.1 ----

func fire(b *Builder, x string, squeeze, e1, e3 int) string {
	s := b.Relu(b.ConvBias(x, squeeze, 1, 1, 0, 1))
	return b.Concat(b.Relu(b.ConvBias(s, e1, 1, 1, 0, 1)), b.Relu(b.ConvBias(s, e3, 3, 1, 1, 1)))
}

func squeezenet11(b *Builder) string {
	x := b.Relu(b.ConvBias(b.Input(), 64, 3, 2, 0, 1))
	fires := [][3]int{{16, 64, 64}, {16, 64, 64}, {32, 128, 128}, {32, 128, 128},
		{48, 192, 192}, {48, 192, 192}, {64, 256, 256}, {64, 256, 256}}
	for i, f := range fires {
		if i == 0 || i == 2 || i == 4 {
			x = b.MaxPool(x, 3, 2, 0, true)
		}
		restore := b.Scope("fire" + itoa(i+1))
		x = fire(b, x, f[0], f[1], f[2])
		restore()
	}
	restore := b.Scope("classifier")
	defer restore()
	x = b.Relu(b.ConvBias(x, 1000, 1, 1, 0, 1))
	return b.Flatten(b.GlobalAvgPool(x))
}

// ---- VGG-16 and AlexNet ----

func vgg16(b *Builder) string {
	x := b.Input()
	for _, c := range []int{64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0} {
		if c == 0 {
			x = b.MaxPool(x, 2, 2, 0, false)
			continue
		}
		x = b.Relu(b.ConvBias(x, c, 3, 1, 1, 1))
	}
	x = b.Flatten(b.AdaptiveAvgPool(x, 7))
	defer b.Scope("classifier")()
	x = b.Relu(b.Gemm(x, 4096))
	x = b.Relu(b.Gemm(x, 4096))
	return b.Gemm(x, 1000)
}

func alexnet(b *Builder) string {
	x := b.Relu(b.ConvBias(b.Input(), 64, 11, 4, 2, 1))
	x = b.MaxPool(x, 3, 2, 0, false)
	x = b.Relu(b.ConvBias(x, 192, 5, 1, 2, 1))
	x = b.MaxPool(x, 3, 2, 0, false)
	x = b.Relu(b.ConvBias(x, 384, 3, 1, 1, 1))
	x = b.Relu(b.ConvBias(x, 256, 3, 1, 1, 1))
	x = b.Relu(b.ConvBias(x, 256, 3, 1, 1, 1))
	x = b.MaxPool(x, 3, 2, 0, false)
	x = b.Flatten(b.AdaptiveAvgPool(x, 6))
	defer b.Scope("classifier")()
	x = b.Relu(b.Gemm(x, 4096))
	x = b.Relu(b.Gemm(x, 4096))
	return b.Gemm(x, 1000)
}

// ---- GoogLeNet ----

// basicConv is GoogLeNet's BasicConv2d: Conv (no bias), BatchNorm, ReLU.
func basicConv(b *Builder, x string, cout, k, stride, pad int) string {
	return b.convBN(x, cout, k, stride, pad, 1, b.Relu)
}

// inception is torchvision's block, including its 3×3 (not 5×5) third branch
// and the ceil-mode 3×3 max pool of the fourth.
func inception(b *Builder, x string, c1, c3r, c3, c5r, c5, proj int) string {
	b1 := basicConv(b, x, c1, 1, 1, 0)
	b2 := basicConv(b, basicConv(b, x, c3r, 1, 1, 0), c3, 3, 1, 1)
	b3 := basicConv(b, basicConv(b, x, c5r, 1, 1, 0), c5, 3, 1, 1)
	b4 := basicConv(b, b.MaxPool(x, 3, 1, 1, true), proj, 1, 1, 0)
	return b.Concat(b1, b2, b3, b4)
}

func googlenet(b *Builder) string {
	x := basicConv(b, b.Input(), 64, 7, 2, 3)
	x = b.MaxPool(x, 3, 2, 0, true)
	x = basicConv(b, x, 64, 1, 1, 0)
	x = basicConv(b, x, 192, 3, 1, 1)
	x = b.MaxPool(x, 3, 2, 0, true)
	blocks := []struct {
		name string
		c    [6]int
	}{
		{"3a", [6]int{64, 96, 128, 16, 32, 32}}, {"3b", [6]int{128, 128, 192, 32, 96, 64}},
		{"4a", [6]int{192, 96, 208, 16, 48, 64}}, {"4b", [6]int{160, 112, 224, 24, 64, 64}},
		{"4c", [6]int{128, 128, 256, 24, 64, 64}}, {"4d", [6]int{112, 144, 288, 32, 64, 64}},
		{"4e", [6]int{256, 160, 320, 32, 128, 128}},
		{"5a", [6]int{256, 160, 320, 32, 128, 128}}, {"5b", [6]int{384, 192, 384, 48, 128, 128}},
	}
	for _, blk := range blocks {
		switch blk.name {
		case "4a":
			x = b.MaxPool(x, 3, 2, 0, true)
		case "5a":
			x = b.MaxPool(x, 2, 2, 0, true)
		}
		restore := b.Scope("inception" + blk.name)
		c := blk.c
		x = inception(b, x, c[0], c[1], c[2], c[3], c[4], c[5])
		restore()
	}
	return b.classifier(b.GlobalAvgPool(x))
}

// ---- ShuffleNetV2 x1.0 ----

func shuffleBlock(b *Builder, x string, out, stride int) string {
	half := out / 2
	branch2 := func(y string) string {
		defer b.Scope("branch2")()
		y = b.convBN(y, half, 1, 1, 0, 1, b.Relu)
		y = b.convBN(y, half, 3, stride, 1, half, nil)
		return b.convBN(y, half, 1, 1, 0, 1, b.Relu)
	}
	var y string
	if stride == 1 {
		parts := b.Split(x, half, half)
		y = b.Concat(parts[0], branch2(parts[1]))
	} else {
		in := b.Channels(x)
		restore := b.Scope("branch1")
		y1 := b.convBN(x, in, 3, stride, 1, in, nil)
		y1 = b.convBN(y1, half, 1, 1, 0, 1, b.Relu)
		restore()
		y = b.Concat(y1, branch2(x))
	}
	return b.ChannelShuffle(y, 2)
}

func shufflenetV2(b *Builder) string {
	restore := b.Scope("conv1")
	x := b.convBN(b.Input(), 24, 3, 2, 1, 1, b.Relu)
	restore()
	x = b.MaxPool(x, 3, 2, 1, false)
	for i, st := range [][2]int{{4, 116}, {8, 232}, {4, 464}} {
		for j := range st[0] {
			stride := 1
			if j == 0 {
				stride = 2
			}
			restore := b.Scope("stage" + itoa(i+2) + "." + itoa(j))
			x = shuffleBlock(b, x, st[1], stride)
			restore()
		}
	}
	restore = b.Scope("conv5")
	x = b.convBN(x, 1024, 1, 1, 0, 1, b.Relu)
	restore()
	x = b.ReduceMean(x, false, 2, 3)
	defer b.Scope("fc")()
	return b.Gemm(x, 1000)
}

// ---- EfficientNet-B0 ----

// mbConv is torchvision's MBConv: optional 1×1 expansion, depthwise k×k,
// squeeze-excitation (input channels / 4), 1×1 projection, residual when
// the shape is kept. SiLU is Sigmoid then Mul, as exported.
func mbConv(b *Builder, x string, expand, k, stride, out int) string {
	in := b.Channels(x)
	hidden := makeDivisible(float64(in*expand), 8)
	y := x
	if hidden != in {
		y = b.convBN(y, hidden, 1, 1, 0, 1, b.SiLU)
	}
	y = b.convBN(y, hidden, k, stride, (k-1)/2, hidden, b.SiLU)
	restore := b.Scope("se")
	s := b.GlobalAvgPool(y)
	s = b.SiLU(b.ConvBias(s, max(1, in/4), 1, 1, 0, 1))
	s = b.Sigmoid(b.ConvBias(s, hidden, 1, 1, 0, 1))
	y = b.Mul(y, s)
	restore()
	y = b.convBN(y, out, 1, 1, 0, 1, nil)
	if stride == 1 && in == out {
		y = b.Add(y, x)
	}
	return y
}

func efficientnetB0(b *Builder) string {
	restore := b.Scope("features.0")
	x := b.convBN(b.Input(), 32, 3, 2, 1, 1, b.SiLU)
	restore()
	stages := [][5]int{ // expansion, kernel, stride, channels, layers
		{1, 3, 1, 16, 1}, {6, 3, 2, 24, 2}, {6, 5, 2, 40, 2}, {6, 3, 2, 80, 3},
		{6, 5, 1, 112, 3}, {6, 5, 2, 192, 4}, {6, 3, 1, 320, 1},
	}
	for i, st := range stages {
		for j := range st[4] {
			stride := 1
			if j == 0 {
				stride = st[2]
			}
			restore := b.Scope("features." + itoa(i+1) + "." + itoa(j))
			x = mbConv(b, x, st[0], st[1], stride, st[3])
			restore()
		}
	}
	restore = b.Scope("features.8")
	x = b.convBN(x, 1280, 1, 1, 0, 1, b.SiLU)
	restore()
	return b.classifier(b.GlobalAvgPool(x))
}
