using Onnx;

namespace GanServe.Onnx;

/// <summary>Typed helpers for the operators the GAN generators and CNN classifiers need.</summary>
/// <remarks>
/// Each helper returns the name of its output; pass <c>output</c> to choose it (e.g. a graph output name),
/// otherwise a fresh name is generated. Spatial helpers are 2-D with square kernels, strides and symmetric padding,
/// which is what the torch layers being exported use.
/// </remarks>
public sealed partial class OnnxGraphBuilder
{
    /// <summary>Y = op(A) * op(B) + C.</summary>
    public string Gemm(string a, string b, string? c = null, bool transA = false, bool transB = false, string? output = null)
    {
        var result = output ?? UniqueName("gemm");
        string[] inputs = c is null ? [a, b] : [a, b, c];
        AddNode("Gemm", inputs, [result],
            OnnxAttributes.Int("transA", transA ? 1 : 0),
            OnnxAttributes.Int("transB", transB ? 1 : 0));
        return result;
    }

    /// <summary>torch.nn.Linear: adds the weights as initializers and a Gemm with transB = 1.</summary>
    public string Dense(string input, DenseWeights weights, string? output = null)
    {
        WeightChecks.Check(weights, nameof(weights));
        var result = output ?? UniqueName("dense");
        var weight = AddInitializer(FreshName($"{result}.weight"), weights.Weight, weights.OutFeatures, weights.InFeatures);
        var bias = weights.Bias is null
            ? null
            : AddInitializer(FreshName($"{result}.bias"), weights.Bias, weights.OutFeatures);
        return Gemm(input, weight, bias, transB: true, output: result);
    }

    /// <summary>2-D convolution over NCHW input with weight [M, C/group, k, k].</summary>
    public string Conv(
        string input,
        string weight,
        string? bias = null,
        int stride = 1,
        int padding = 0,
        int dilation = 1,
        int group = 1,
        string? output = null)
    {
        CheckSpatial(stride, padding, dilation);
        ArgumentOutOfRangeException.ThrowIfLessThan(group, 1);
        var result = output ?? UniqueName("conv");
        var attributes = new List<AttributeProto>
        {
            OnnxAttributes.Ints("strides", stride, stride),
            OnnxAttributes.Ints("pads", padding, padding, padding, padding),
            OnnxAttributes.Ints("dilations", dilation, dilation),
            OnnxAttributes.Int("group", group),
        };
        AddKernelShape(attributes, weight);
        string[] inputs = bias is null ? [input, weight] : [input, weight, bias];
        AddNode("Conv", inputs, [result], [.. attributes]);
        return result;
    }

    /// <summary>torch.nn.Conv2d (groups = 1): adds the weights as initializers and a Conv.</summary>
    public string Conv2d(string input, Conv2dWeights weights, string? output = null)
    {
        WeightChecks.Check(weights, nameof(weights));
        var result = output ?? UniqueName("conv");
        var weight = AddInitializer(
            FreshName($"{result}.weight"), weights.Weight, weights.OutChannels, weights.InChannels, weights.Kernel, weights.Kernel);
        var bias = weights.Bias is null ? null : AddInitializer(FreshName($"{result}.bias"), weights.Bias, weights.OutChannels);
        return Conv(input, weight, bias, weights.Stride, weights.Padding, output: result);
    }

    /// <summary>2-D transposed convolution with weight [C, M/group, k, k]; output size (in-1)*stride - 2*padding + k + outputPadding.</summary>
    public string ConvTranspose(
        string input,
        string weight,
        string? bias = null,
        int stride = 1,
        int padding = 0,
        int outputPadding = 0,
        string? output = null)
    {
        CheckSpatial(stride, padding, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(outputPadding);
        var result = output ?? UniqueName("convt");
        var attributes = new List<AttributeProto>
        {
            OnnxAttributes.Ints("strides", stride, stride),
            OnnxAttributes.Ints("pads", padding, padding, padding, padding),
        };
        if (outputPadding != 0)
        {
            attributes.Add(OnnxAttributes.Ints("output_padding", outputPadding, outputPadding));
        }

        AddKernelShape(attributes, weight);
        string[] inputs = bias is null ? [input, weight] : [input, weight, bias];
        AddNode("ConvTranspose", inputs, [result], [.. attributes]);
        return result;
    }

    /// <summary>torch.nn.ConvTranspose2d: adds the weights as initializers and a ConvTranspose.</summary>
    public string ConvTranspose2d(string input, ConvTransposeWeights weights, string? output = null)
    {
        WeightChecks.Check(weights, nameof(weights));
        var result = output ?? UniqueName("convt");
        var weight = AddInitializer(
            FreshName($"{result}.weight"), weights.Weight, weights.InChannels, weights.OutChannels, weights.Kernel, weights.Kernel);
        var bias = weights.Bias is null ? null : AddInitializer(FreshName($"{result}.bias"), weights.Bias, weights.OutChannels);
        return ConvTranspose(input, weight, bias, weights.Stride, weights.Padding, output: result);
    }

    /// <summary>Inference-mode BatchNormalization with its parameters as initializers (prefer folding where a layer precedes it).</summary>
    public string BatchNormalization(string input, BatchNormWeights norm, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(norm);
        WeightChecks.Check(norm, norm.Gamma?.Length ?? 0, nameof(norm));
        var result = output ?? UniqueName("bn");
        var channels = norm.Gamma!.Length;
        var scale = AddInitializer(FreshName($"{result}.scale"), norm.Gamma, channels);
        var bias = AddInitializer(FreshName($"{result}.bias"), norm.Beta, channels);
        var mean = AddInitializer(FreshName($"{result}.mean"), norm.RunningMean, channels);
        var variance = AddInitializer(FreshName($"{result}.var"), norm.RunningVar, channels);
        AddNode("BatchNormalization", [input, scale, bias, mean, variance], [result], OnnxAttributes.Float("epsilon", norm.Epsilon));
        return result;
    }

    /// <summary>Max pooling; <paramref name="stride"/> defaults to the kernel size as in torch.nn.MaxPool2d.</summary>
    public string MaxPool(string input, int kernel, int? stride = null, int padding = 0, bool ceilMode = false, string? output = null)
    {
        var result = output ?? UniqueName("maxpool");
        AddNode("MaxPool", [input], [result], [.. PoolAttributes(kernel, stride, padding, ceilMode)]);
        return result;
    }

    /// <summary>
    /// Average pooling; <paramref name="stride"/> defaults to the kernel size and <paramref name="countIncludePad"/>
    /// to true, matching torch.nn.AvgPool2d rather than the ONNX defaults (stride 1, padding excluded).
    /// </summary>
    public string AveragePool(
        string input,
        int kernel,
        int? stride = null,
        int padding = 0,
        bool countIncludePad = true,
        bool ceilMode = false,
        string? output = null)
    {
        var result = output ?? UniqueName("avgpool");
        var attributes = PoolAttributes(kernel, stride, padding, ceilMode);
        attributes.Add(OnnxAttributes.Int("count_include_pad", countIncludePad ? 1 : 0));
        AddNode("AveragePool", [input], [result], [.. attributes]);
        return result;
    }

    /// <summary>Mean over all spatial positions: [N, C, H, W] -> [N, C, 1, 1] (torch AdaptiveAvgPool2d(1)).</summary>
    public string GlobalAveragePool(string input, string? output = null) => Unary("GlobalAveragePool", input, output);

    /// <summary>Flattens to 2-D: dimensions before <paramref name="axis"/> become rows, the rest columns.</summary>
    public string Flatten(string input, int axis = 1, string? output = null)
    {
        var result = output ?? UniqueName("flatten");
        AddNode("Flatten", [input], [result], OnnxAttributes.Int("axis", axis));
        return result;
    }

    /// <summary>Reshape to a constant target shape (-1 infers one dimension, 0 copies the input's).</summary>
    public string Reshape(string input, ReadOnlySpan<long> shape, string? output = null)
    {
        var result = output ?? UniqueName("reshape");
        var shapeName = AddInt64Initializer(FreshName($"{result}.shape"), shape, shape.Length);
        AddNode("Reshape", [input, shapeName], [result]);
        return result;
    }

    /// <summary>max(x, 0).</summary>
    public string Relu(string input, string? output = null) => Unary("Relu", input, output);

    /// <summary>x for x &gt;= 0, alpha * x otherwise.</summary>
    public string LeakyRelu(string input, float alpha = 0.01f, string? output = null)
    {
        var result = output ?? UniqueName("leakyrelu");
        AddNode("LeakyRelu", [input], [result], OnnxAttributes.Float("alpha", alpha));
        return result;
    }

    /// <summary>Hyperbolic tangent.</summary>
    public string Tanh(string input, string? output = null) => Unary("Tanh", input, output);

    /// <summary>Logistic sigmoid.</summary>
    public string Sigmoid(string input, string? output = null) => Unary("Sigmoid", input, output);

    /// <summary>Softmax along <paramref name="axis"/>.</summary>
    public string Softmax(string input, int axis = -1, string? output = null)
    {
        var result = output ?? UniqueName("softmax");
        AddNode("Softmax", [input], [result], OnnxAttributes.Int("axis", axis));
        return result;
    }

    /// <summary>Element-wise sum with broadcasting.</summary>
    public string Add(string a, string b, string? output = null)
    {
        var result = output ?? UniqueName("add");
        AddNode("Add", [a, b], [result]);
        return result;
    }

    /// <summary>Copies a value under a new name, e.g. to expose an intermediate tensor as a named graph output.</summary>
    public string Identity(string input, string? output = null) => Unary("Identity", input, output);

    private string Unary(string opType, string input, string? output)
    {
        var result = output ?? UniqueName(opType.ToLowerInvariant());
        AddNode(opType, [input], [result]);
        return result;
    }

    private string FreshName(string preferred) => _values.Contains(preferred) ? UniqueName(preferred) : preferred;

    private void AddKernelShape(List<AttributeProto> attributes, string weight)
    {
        // kernel_shape is optional (ORT infers it from W); writing it when known makes the graph self-describing.
        if (InitializerShape(weight) is { Count: 4 } shape)
        {
            attributes.Add(OnnxAttributes.Ints("kernel_shape", shape[2], shape[3]));
        }
    }

    private static List<AttributeProto> PoolAttributes(int kernel, int? stride, int padding, bool ceilMode)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(kernel, 1);
        var step = stride ?? kernel;
        CheckSpatial(step, padding, 1);
        return
        [
            OnnxAttributes.Ints("kernel_shape", kernel, kernel),
            OnnxAttributes.Ints("strides", step, step),
            OnnxAttributes.Ints("pads", padding, padding, padding, padding),
            OnnxAttributes.Int("ceil_mode", ceilMode ? 1 : 0),
        ];
    }

    private static void CheckSpatial(int stride, int padding, int dilation)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        ArgumentOutOfRangeException.ThrowIfLessThan(dilation, 1);
    }
}
