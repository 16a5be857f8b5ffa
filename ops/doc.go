package ops

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

//go:generate go run ./internal/gendoc -o ../docs/operators.md

// OpDoc documents what the kernel of one registered operator accepts. The
// table is checked against the builders by doc_test.go: every registered
// operator has exactly one entry, Since matches the registration, every
// attribute listed is read by the builder in the opsets given (and no other
// attribute is), and the element types are exactly those Infer accepts.
type OpDoc struct {
	// Op is the operator type; an operator of another domain than ONNX's
	// default one is prefixed with it ("gocnn.Conv").
	Op string
	// Since is the first opset version the operator is available from.
	// There is no upper bound: a newer opset gets the newest behaviour the
	// builder knows (the attribute ranges and notes say which versions it
	// tells apart).
	Since int64
	// Types are the element types of the operator's data input (ONNX's
	// type parameter T) accepted at the newest opset.
	Types []tensor.DType
	// Attrs are the attributes the builder reads. Any other attribute is
	// ignored, unless Notes say it is rejected.
	Attrs []AttrDoc
	// Notes state limits and behaviour worth knowing, in one or two
	// sentences.
	Notes string
}

// AttrDoc is one attribute an operator's builder reads.
type AttrDoc struct {
	Name string
	Type onnx.AttrType
	// From and To bound the opset versions in which the builder reads the
	// attribute: 0 means the operator's first version (From) or no upper
	// bound (To).
	From, To int64
}

// Docs returns the documentation of every registered operator, sorted by
// name (operators of the default domain first).
func Docs() []OpDoc {
	docs := slices.Clone(opDocs)
	for i := range docs {
		docs[i].Types = slices.Clone(docs[i].Types)
		docs[i].Attrs = slices.Clone(docs[i].Attrs)
	}
	slices.SortFunc(docs, func(a, b OpDoc) int {
		ad, bd := strings.Contains(a.Op, "."), strings.Contains(b.Op, ".")
		if ad != bd {
			if ad {
				return 1
			}
			return -1
		}
		return strings.Compare(a.Op, b.Op)
	})
	return docs
}

// The element type sets of the table.
var (
	docAll    = []tensor.DType{tensor.Float32, tensor.Float64, tensor.Int64, tensor.Int32, tensor.Uint8, tensor.Int8, tensor.Bool}
	docNum    = []tensor.DType{tensor.Float32, tensor.Float64, tensor.Int64, tensor.Int32, tensor.Uint8, tensor.Int8}
	docSigned = []tensor.DType{tensor.Float32, tensor.Float64, tensor.Int64, tensor.Int32, tensor.Int8}
	docWide   = []tensor.DType{tensor.Float32, tensor.Float64, tensor.Int64, tensor.Int32}
	docFloat  = []tensor.DType{tensor.Float32, tensor.Float64}
	docF32    = []tensor.DType{tensor.Float32}
	docBool   = []tensor.DType{tensor.Bool}
)

// attr documents an attribute read in every opset of its operator.
func attr(name string, t onnx.AttrType) AttrDoc { return AttrDoc{Name: name, Type: t} }

// until limits a to opsets up to v.
func (a AttrDoc) until(v int64) AttrDoc { a.To = v; return a }

// from limits a to opsets from v.
func (a AttrDoc) from(v int64) AttrDoc { a.From = v; return a }

// Attribute lists shared by several operators.
var (
	docLegacyBcast = []AttrDoc{attr("broadcast", onnx.AttrInt).until(6), attr("axis", onnx.AttrInt).until(6)}
	docConvAttrs   = []AttrDoc{
		attr("auto_pad", onnx.AttrString), attr("dilations", onnx.AttrInts), attr("group", onnx.AttrInt),
		attr("kernel_shape", onnx.AttrInts), attr("pads", onnx.AttrInts), attr("strides", onnx.AttrInts),
	}
	docPoolAttrs = []AttrDoc{
		attr("auto_pad", onnx.AttrString), attr("ceil_mode", onnx.AttrInt), attr("count_include_pad", onnx.AttrInt),
		attr("dilations", onnx.AttrInts), attr("kernel_shape", onnx.AttrInts), attr("pads", onnx.AttrInts),
		attr("storage_order", onnx.AttrInt), attr("strides", onnx.AttrInts),
	}
	docResizeAttrs = []AttrDoc{
		attr("antialias", onnx.AttrInt), attr("axes", onnx.AttrInts),
		attr("extrapolation_value", onnx.AttrFloat), attr("keep_aspect_ratio_policy", onnx.AttrString),
		attr("mode", onnx.AttrString),
	}
)

func attrs(lists ...[]AttrDoc) []AttrDoc { return slices.Concat(lists...) }

const (
	docBcastNote  = "Numpy broadcasting from opset 7; before, the legacy broadcast/axis rules."
	docUnaryFloat = "Computed in float64, rounded to the input type."
)

// reduceDoc documents a reduction whose axes become an input at opset
// axesInput.
func reduceDoc(op string, types []tensor.DType, axesInput int64) OpDoc {
	return OpDoc{Op: op, Since: 1, Types: types,
		Attrs: []AttrDoc{
			attr("axes", onnx.AttrInts).until(axesInput - 1), attr("keepdims", onnx.AttrInt),
			attr("noop_with_empty_axes", onnx.AttrInt).from(axesInput),
		},
		Notes: fmt.Sprintf("From opset %d the axes are an optional int64 input and the axes attribute is rejected. "+
			"No axes reduce all axes (unless noop_with_empty_axes). Floats accumulate in float64, integers in int64.", axesInput),
	}
}

func unaryDoc(op string, since int64, types []tensor.DType, notes string, a ...AttrDoc) OpDoc {
	return OpDoc{Op: op, Since: since, Types: types, Attrs: a, Notes: notes}
}

var opDocs = []OpDoc{
	// Element-wise, one input.
	unaryDoc("Abs", 1, docNum, ""),
	unaryDoc("Ceil", 1, docFloat, ""),
	unaryDoc("Celu", 12, docFloat, docUnaryFloat, attr("alpha", onnx.AttrFloat)),
	unaryDoc("Elu", 1, docFloat, docUnaryFloat, attr("alpha", onnx.AttrFloat)),
	unaryDoc("Erf", 9, docFloat, docUnaryFloat),
	unaryDoc("Exp", 1, docFloat, docUnaryFloat),
	unaryDoc("Floor", 1, docFloat, ""),
	unaryDoc("HardSigmoid", 1, docFloat, docUnaryFloat, attr("alpha", onnx.AttrFloat), attr("beta", onnx.AttrFloat)),
	unaryDoc("HardSwish", 14, docFloat, docUnaryFloat),
	unaryDoc("LeakyRelu", 1, docFloat, docUnaryFloat, attr("alpha", onnx.AttrFloat)),
	unaryDoc("Log", 1, docFloat, docUnaryFloat),
	unaryDoc("Neg", 1, docSigned, ""),
	unaryDoc("Reciprocal", 1, docFloat, docUnaryFloat),
	unaryDoc("Relu", 1, docSigned, ""),
	unaryDoc("Round", 11, docFloat, "Halves round to even."),
	unaryDoc("Selu", 1, docFloat, docUnaryFloat, attr("alpha", onnx.AttrFloat), attr("gamma", onnx.AttrFloat)),
	unaryDoc("Sigmoid", 1, docFloat, docUnaryFloat),
	unaryDoc("Sign", 9, docNum, ""),
	unaryDoc("Softplus", 1, docFloat, docUnaryFloat),
	unaryDoc("Softsign", 1, docFloat, docUnaryFloat),
	unaryDoc("Sqrt", 1, docFloat, docUnaryFloat),
	unaryDoc("Tanh", 1, docFloat, docUnaryFloat),
	unaryDoc("Identity", 1, docAll, ""),
	unaryDoc("Not", 1, docBool, ""),
	{Op: "Cast", Since: 1, Types: docAll, Attrs: []AttrDoc{attr("to", onnx.AttrInt)},
		Notes: "to may also be a string (FLOAT, DOUBLE, INT64, INT32, UINT8, INT8, BOOL; the opset 1-5 form); " +
			"the target must be one of the supported types. Float to integer truncates toward zero; anything to bool is x != 0."},
	{Op: "Clip", Since: 1, Types: docNum, Attrs: []AttrDoc{attr("max", onnx.AttrFloat).until(10), attr("min", onnx.AttrFloat).until(10)},
		Notes: "Before opset 11 the bounds are attributes and the input must be float32/float64; from 11 they are optional " +
			"one-element inputs of the input's type and the attributes are rejected. Missing bounds are the type's limits; min > max gives max."},
	{Op: "Dropout", Since: 1, Types: docFloat, Attrs: []AttrDoc{attr("ratio", onnx.AttrFloat)},
		Notes: "Inference only: the output is the input and the optional mask is all true (ones of the input type before opset 10). " +
			"A true training_mode input is rejected; ratio is type-checked only; is_test is ignored."},

	// Element-wise, two or more inputs.
	{Op: "Add", Since: 1, Types: docNum, Attrs: docLegacyBcast, Notes: docBcastNote},
	{Op: "Sub", Since: 1, Types: docNum, Attrs: docLegacyBcast, Notes: docBcastNote},
	{Op: "Mul", Since: 1, Types: docNum, Attrs: docLegacyBcast, Notes: docBcastNote},
	{Op: "Div", Since: 1, Types: docNum, Attrs: docLegacyBcast, Notes: docBcastNote + " Integer division by zero is an error at run time."},
	{Op: "Pow", Since: 1, Types: docWide, Attrs: docLegacyBcast,
		Notes: docBcastNote + " The exponent may have any numeric type; integer powers of integers are exact, " +
			"other cases are computed in float64 (truncated for integer bases)."},
	{Op: "And", Since: 1, Types: docBool, Attrs: docLegacyBcast, Notes: docBcastNote},
	{Op: "Or", Since: 1, Types: docBool, Attrs: docLegacyBcast, Notes: docBcastNote},
	{Op: "Xor", Since: 1, Types: docBool, Attrs: docLegacyBcast, Notes: docBcastNote},
	{Op: "Equal", Since: 1, Types: docAll, Attrs: docLegacyBcast, Notes: docBcastNote + " The output is bool."},
	{Op: "Greater", Since: 1, Types: docNum, Attrs: docLegacyBcast, Notes: docBcastNote + " The output is bool."},
	{Op: "Less", Since: 1, Types: docNum, Attrs: docLegacyBcast, Notes: docBcastNote + " The output is bool."},
	{Op: "GreaterOrEqual", Since: 12, Types: docNum, Notes: "Numpy broadcasting; the output is bool."},
	{Op: "LessOrEqual", Since: 12, Types: docNum, Notes: "Numpy broadcasting; the output is bool."},
	{Op: "Max", Since: 1, Types: docNum, Notes: "One or more inputs, numpy broadcasting."},
	{Op: "Min", Since: 1, Types: docNum, Notes: "One or more inputs, numpy broadcasting."},
	{Op: "Sum", Since: 1, Types: docNum, Notes: "One or more inputs, numpy broadcasting."},
	{Op: "Mean", Since: 1, Types: docFloat, Notes: "One or more inputs, numpy broadcasting."},
	{Op: "PRelu", Since: 1, Types: docWide,
		Notes: "The slope broadcasts to X's shape (unidirectionally); before opset 7 a 1-D slope of length C is per channel."},
	{Op: "Where", Since: 9, Types: docAll, Notes: "The condition is bool; numpy broadcasting of all three inputs."},

	// Convolution, pooling, normalization, matrices.
	{Op: "Conv", Since: 1, Types: docF32, Attrs: docConvAttrs,
		Notes: "Any number of spatial axes, groups (depthwise included), dilations, explicit or automatic padding. " +
			"kernel_shape, when given, must match W. The fast paths accept exactly the same attributes."},
	{Op: "ConvTranspose", Since: 1, Types: docF32,
		Attrs: attrs(docConvAttrs, []AttrDoc{attr("output_padding", onnx.AttrInts), attr("output_shape", onnx.AttrInts)}),
		Notes: "output_shape (the spatial dimensions, or the full shape) overrides pads; groups supported."},
	{Op: "MaxPool", Since: 1, Types: docF32, Attrs: docPoolAttrs,
		Notes: "kernel_shape is required. The optional Indices output (int64) follows storage_order. Padding never wins and " +
			"NaN is never selected. count_include_pad is checked (0 or 1) but has no effect."},
	{Op: "AveragePool", Since: 1, Types: docF32, Attrs: docPoolAttrs,
		Notes: "kernel_shape is required; sums in float64. storage_order is checked (0 or 1) but has no effect."},
	{Op: "GlobalAveragePool", Since: 1, Types: docF32, Notes: "X has rank 3 or more; sums in float64."},
	{Op: "GlobalMaxPool", Since: 1, Types: docF32, Notes: "X has rank 3 or more; NaN is never selected."},
	{Op: "BatchNormalization", Since: 1, Types: docF32,
		Attrs: []AttrDoc{attr("epsilon", onnx.AttrFloat), attr("spatial", onnx.AttrInt), attr("training_mode", onnx.AttrInt)},
		Notes: "Inference only: training_mode=1 is rejected, saved_mean/saved_var outputs must be unnamed, and the running " +
			"mean/var outputs are copies of the inputs. spatial=0 (per-element parameters) is supported; momentum and is_test are ignored."},
	{Op: "LRN", Since: 1, Types: docF32,
		Attrs: []AttrDoc{attr("alpha", onnx.AttrFloat), attr("beta", onnx.AttrFloat), attr("bias", onnx.AttrFloat), attr("size", onnx.AttrInt)},
		Notes: "size is required. Across channels of X [N, C, ...]."},
	{Op: "Gemm", Since: 1, Types: docF32,
		Attrs: []AttrDoc{attr("alpha", onnx.AttrFloat), attr("beta", onnx.AttrFloat), attr("broadcast", onnx.AttrInt),
			attr("transA", onnx.AttrInt), attr("transB", onnx.AttrInt)},
		Notes: "C is optional and broadcasts unidirectionally to [M, N]; the broadcast attribute is accepted and ignored. " +
			"Accumulates in float64."},
	{Op: "MatMul", Since: 1, Types: docF32,
		Notes: "Numpy semantics: 1-D operands and broadcast batch dimensions. Accumulates in float64."},
	{Op: "Softmax", Since: 1, Types: docFloat, Attrs: []AttrDoc{attr("axis", onnx.AttrInt)},
		Notes: "Before opset 13 the input is coerced to 2-D at axis (default 1); from 13 along the one axis (default -1)."},
	{Op: "LogSoftmax", Since: 1, Types: docFloat, Attrs: []AttrDoc{attr("axis", onnx.AttrInt)},
		Notes: "Before opset 13 the input is coerced to 2-D at axis (default 1); from 13 along the one axis (default -1)."},

	// Reductions.
	reduceDoc("ReduceL1", docNum, 18),
	reduceDoc("ReduceL2", docFloat, 18),
	reduceDoc("ReduceLogSum", docFloat, 18),
	reduceDoc("ReduceLogSumExp", docFloat, 18),
	reduceDoc("ReduceMax", docNum, 18),
	reduceDoc("ReduceMean", docNum, 18),
	reduceDoc("ReduceMin", docNum, 18),
	reduceDoc("ReduceProd", docNum, 18),
	reduceDoc("ReduceSum", docNum, 13),
	reduceDoc("ReduceSumSquare", docNum, 18),
	{Op: "ArgMax", Since: 1, Types: docNum,
		Attrs: []AttrDoc{attr("axis", onnx.AttrInt), attr("keepdims", onnx.AttrInt), attr("select_last_index", onnx.AttrInt)},
		Notes: "The output is int64. A NaN counts as the maximum (as in numpy); an empty axis is an error."},
	{Op: "ArgMin", Since: 1, Types: docNum,
		Attrs: []AttrDoc{attr("axis", onnx.AttrInt), attr("keepdims", onnx.AttrInt), attr("select_last_index", onnx.AttrInt)},
		Notes: "The output is int64. A NaN counts as the minimum (as in numpy); an empty axis is an error."},

	// Shapes, indexing, constants.
	{Op: "Shape", Since: 1, Types: docAll, Attrs: []AttrDoc{attr("end", onnx.AttrInt), attr("start", onnx.AttrInt)},
		Notes: "The output is int64; start and end may be negative and are clamped."},
	{Op: "Size", Since: 1, Types: docAll, Notes: "The output is an int64 scalar."},
	{Op: "Reshape", Since: 1, Types: docAll,
		Attrs: []AttrDoc{attr("allowzero", onnx.AttrInt), attr("shape", onnx.AttrInts).until(4)},
		Notes: "From opset 5 the shape is an int64 input and the shape attribute is rejected. 0 copies a dimension " +
			"(unless allowzero); one -1 is inferred."},
	{Op: "Flatten", Since: 1, Types: docAll, Attrs: []AttrDoc{attr("axis", onnx.AttrInt)}, Notes: "axis may be in [-rank, rank]."},
	{Op: "Squeeze", Since: 1, Types: docAll, Attrs: []AttrDoc{attr("axes", onnx.AttrInts).until(12)},
		Notes: "From opset 13 the axes are an optional int64 input and the attribute is rejected; no axes drop every size-1 dimension."},
	{Op: "Unsqueeze", Since: 1, Types: docAll, Attrs: []AttrDoc{attr("axes", onnx.AttrInts).until(12)},
		Notes: "The axes are required: the attribute before opset 13, an int64 input from 13 (the attribute is then rejected)."},
	{Op: "Concat", Since: 1, Types: docAll, Attrs: []AttrDoc{attr("axis", onnx.AttrInt)},
		Notes: "axis is required from opset 4 (default 1 before)."},
	{Op: "Split", Since: 1, Types: docAll,
		Attrs: []AttrDoc{attr("axis", onnx.AttrInt), attr("num_outputs", onnx.AttrInt).from(18), attr("split", onnx.AttrInts).until(12)},
		Notes: "From opset 13 the sizes are an optional int64 input and the split attribute is rejected (opset 1 also takes " +
			"them as input 2). Without sizes the parts are equal, or ceil(dim/n) with num_outputs."},
	{Op: "Transpose", Since: 1, Types: docAll, Attrs: []AttrDoc{attr("perm", onnx.AttrInts)},
		Notes: "Without perm the dimensions are reversed."},
	{Op: "Expand", Since: 8, Types: docAll, Notes: "The int64 shape input broadcasts both ways (numpy)."},
	{Op: "Tile", Since: 6, Types: docAll, Notes: "repeats is an int64 input with one value per dimension."},
	{Op: "Slice", Since: 1, Types: docAll,
		Attrs: []AttrDoc{attr("axes", onnx.AttrInts).until(9), attr("ends", onnx.AttrInts).until(9), attr("starts", onnx.AttrInts).until(9)},
		Notes: "From opset 10 starts, ends, axes and steps are int32/int64 inputs and the attributes are rejected. " +
			"Negative steps are supported; a step of 0 or a repeated axis is an error."},
	{Op: "Gather", Since: 1, Types: docAll, Attrs: []AttrDoc{attr("axis", onnx.AttrInt)},
		Notes: "Indices are int32 or int64 and may be negative; an index out of range is an error at run time."},
	{Op: "Pad", Since: 1, Types: docAll,
		Attrs: []AttrDoc{attr("mode", onnx.AttrString), attr("paddings", onnx.AttrInts).until(1),
			attr("pads", onnx.AttrInts).from(2).until(10), attr("value", onnx.AttrFloat).until(10)},
		Notes: "From opset 11 pads (int64) and constant_value are inputs, from 18 an optional axes input; the old attributes are then ignored. " +
			"Modes constant, reflect, edge, and wrap (opset 19). Negative pads crop."},
	{Op: "Constant", Since: 1, Types: docAll,
		Attrs: []AttrDoc{attr("value", onnx.AttrTensor), attr("value_float", onnx.AttrFloat), attr("value_floats", onnx.AttrFloats),
			attr("value_int", onnx.AttrInt), attr("value_ints", onnx.AttrInts)},
		Notes: "Exactly one value attribute; value_string, value_strings, sparse_value and any other attribute are rejected."},
	{Op: "ConstantOfShape", Since: 9, Types: docAll, Attrs: []AttrDoc{attr("value", onnx.AttrTensor)},
		Notes: "value is a one-element tensor (default float32 0) giving the output type and fill; the output shape is the values of the int64 shape input."},
	{Op: "Range", Since: 11, Types: docWide, Notes: "start, limit and delta are scalars of one type; a delta of 0 is an error."},

	// Resampling.
	{Op: "Resize", Since: 10, Types: docF32,
		Attrs: attrs(docResizeAttrs, []AttrDoc{
			attr("coordinate_transformation_mode", onnx.AttrString).from(11), attr("cubic_coeff_a", onnx.AttrFloat).from(11),
			attr("exclude_outside", onnx.AttrInt).from(11), attr("nearest_mode", onnx.AttrString).from(11),
		}),
		Notes: "Modes nearest, linear and (opset 11) cubic, in any number of axes. Resize-10 behaves as asymmetric with " +
			"legacy nearest rounding. tf_half_pixel_for_nn is accepted before opset 18, half_pixel_symmetric from 19; antialias=1 is rejected."},
	{Op: "Upsample", Since: 7, Types: docF32,
		Attrs: attrs(docResizeAttrs, []AttrDoc{attr("scales", onnx.AttrFloats).until(8)}),
		Notes: "Modes nearest and linear (bilinear accepted). From opset 9 the scales are an input."},

	// Fused nodes made by the optimiser.
	{Op: FusedDomain + ".Conv", Since: 1, Types: docF32,
		Attrs: attrs(docConvAttrs, []AttrDoc{
			attr(AttrActivation, onnx.AttrString),
			attr(ActPrefix+"alpha", onnx.AttrFloat), attr(ActPrefix+"beta", onnx.AttrFloat),
			attr(ActPrefix+"max", onnx.AttrFloat), attr(ActPrefix+"min", onnx.AttrFloat),
		}),
		Notes: "Made by the optimiser, never read from files: Conv, an optional residual input added, then the activation " +
			"(Relu, Clip, LeakyRelu, HardSigmoid, HardSwish, Sigmoid or SiLU) with its attributes prefixed activation_."},
}

// DocMarkdown renders Docs as the Markdown page docs/operators.md.
func DocMarkdown() []byte {
	var b bytes.Buffer
	b.WriteString("<!-- Code generated by go generate ./ops (ops/internal/gendoc) from ops/doc.go. DO NOT EDIT. -->\n\n")
	b.WriteString("# Supported operators\n\n")
	b.WriteString("Generated from the table in `ops/doc.go`, which `ops/doc_test.go` checks against the operator\n")
	b.WriteString("builders. Regenerate with `go generate ./ops`.\n\n")
	b.WriteString("- **Opsets**: the first opset version with a kernel. There is no upper bound: a newer opset gets\n")
	b.WriteString("  the newest behaviour the kernel knows; the attribute ranges and notes say which versions differ.\n")
	b.WriteString("- **Types**: element types of the data input (ONNX's `T`) at the newest opset; *any* means\n")
	b.WriteString("  float32, float64, int64, int32, uint8, int8 and bool.\n")
	b.WriteString("- **Attributes**: every attribute the kernel reads, with its type and, when it is read only in\n")
	b.WriteString("  some opsets, their range. Attributes not listed are ignored unless the notes say they are rejected.\n\n")
	var std, fused []OpDoc
	for _, d := range Docs() {
		if strings.Contains(d.Op, ".") {
			fused = append(fused, d)
		} else {
			std = append(std, d)
		}
	}
	fmt.Fprintf(&b, "## ONNX operators (%d)\n\n", len(std))
	docTable(&b, std)
	b.WriteString("\n## Internal operators\n\n")
	b.WriteString("Nodes the optimiser creates when it fuses standard ones; they never appear in model files.\n\n")
	docTable(&b, fused)
	return b.Bytes()
}

func docTable(b *bytes.Buffer, docs []OpDoc) {
	b.WriteString("| Operator | Opsets | Types | Attributes | Notes |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, d := range docs {
		var as []string
		sorted := slices.SortedFunc(slices.Values(d.Attrs), func(a, b AttrDoc) int { return strings.Compare(a.Name, b.Name) })
		for _, a := range sorted {
			as = append(as, fmt.Sprintf("`%s` (%v%s)", a.Name, a.Type, a.opsetRange(d.Since)))
		}
		fmt.Fprintf(b, "| %s | %d+ | %s | %s | %s |\n", d.Op, d.Since, docTypes(d.Types), strings.Join(as, ", "), d.Notes)
	}
}

// opsetRange renders the opsets in which a is read, "" for all of them.
func (a AttrDoc) opsetRange(since int64) string {
	from := max(a.From, since)
	switch {
	case a.To == 0 && from == since:
		return ""
	case a.To == 0:
		return fmt.Sprintf(", opset %d+", from)
	case from == a.To:
		return fmt.Sprintf(", opset %d", from)
	}
	return fmt.Sprintf(", opsets %d-%d", from, a.To)
}

func docTypes(ts []tensor.DType) string {
	if slices.Equal(ts, docAll) {
		return "any"
	}
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.String()
	}
	return strings.Join(s, ", ")
}
