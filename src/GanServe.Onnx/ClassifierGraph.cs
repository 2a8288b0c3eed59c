namespace GanServe.Onnx;

/// <summary>One convolution stage of a CNN classifier: Conv2d → optional BatchNorm → ReLU → MaxPool(PoolKernel).</summary>
/// <remarks>A <paramref name="PoolKernel"/> of 1 means no pooling.</remarks>
public sealed record ConvBlockWeights(Conv2dWeights Conv, BatchNormWeights? Norm, int PoolKernel);

/// <summary>
/// A CNN classifier: image[N, Channels, Height, Width] → conv blocks → Flatten → Hidden (Linear) → ReLU, the
/// <em>features</em> → Output (Linear), the <em>logits</em>.
/// </summary>
public sealed record ClassifierWeights(
    int Channels,
    int Height,
    int Width,
    IReadOnlyList<ConvBlockWeights> Blocks,
    DenseWeights Hidden,
    DenseWeights Output);

/// <summary>Exports a CNN classifier from plain weight arrays to an ONNX graph with two outputs, logits and features.</summary>
/// <remarks>
/// Every BatchNorm is folded into the convolution before it. The batch dimension is symbolic; the features are the
/// post-ReLU activations of the hidden layer, the penultimate layer used for Fréchet distances.
/// </remarks>
public static class ClassifierGraph
{
    /// <summary>The default-domain opset of the exported graph.</summary>
    public const int Opset = OnnxGraphBuilder.DefaultOpset;

    /// <summary>Name of the image input.</summary>
    public const string InputName = "image";

    /// <summary>Name of the logits output [N, classes].</summary>
    public const string LogitsName = "logits";

    /// <summary>Name of the features output [N, hidden].</summary>
    public const string FeaturesName = "features";

    /// <summary>Builds the serialized inference graph.</summary>
    public static byte[] ToBytes(ClassifierWeights weights)
    {
        CheckShapes(weights);
        var builder = new OnnxGraphBuilder("classifier", Opset);
        builder.AddInput(InputName, GeneratorGraph.BatchDim, weights.Channels, weights.Height, weights.Width);
        builder.AddOutput(LogitsName, GeneratorGraph.BatchDim, weights.Output.OutFeatures);
        builder.AddOutput(FeaturesName, GeneratorGraph.BatchDim, weights.Hidden.OutFeatures);

        var x = InputName;
        for (var i = 0; i < weights.Blocks.Count; i++)
        {
            var block = weights.Blocks[i];
            var conv = block.Norm is null ? block.Conv : BatchNormFolding.FoldIntoConv(block.Conv, block.Norm);
            x = builder.Conv2d(x, conv, $"conv{i}");
            x = builder.Relu(x, $"conv{i}_relu");
            if (block.PoolKernel > 1)
            {
                x = builder.MaxPool(x, block.PoolKernel, output: $"conv{i}_pool");
            }
        }

        x = builder.Flatten(x, output: "flatten");
        x = builder.Dense(x, weights.Hidden, "hidden");
        x = builder.Relu(x, FeaturesName);
        builder.Dense(x, weights.Output, LogitsName);
        return builder.ToBytes();
    }

    /// <summary>Checks that the layers chain together; throws <see cref="ArgumentException"/> naming the first mismatch.</summary>
    public static void CheckShapes(ClassifierWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(weights.Blocks, nameof(weights));
        if (weights.Channels <= 0 || weights.Height <= 0 || weights.Width <= 0)
        {
            throw new ArgumentException($"Image shape {weights.Channels}×{weights.Height}×{weights.Width} must be positive.", nameof(weights));
        }

        int channels = weights.Channels, height = weights.Height, width = weights.Width;
        for (var i = 0; i < weights.Blocks.Count; i++)
        {
            var block = weights.Blocks[i] ?? throw new ArgumentException($"Blocks[{i}] is null.", nameof(weights));
            var conv = block.Conv;
            WeightChecks.Check(conv, $"Blocks[{i}].Conv");
            if (block.Norm is not null)
            {
                WeightChecks.Check(block.Norm, conv.OutChannels, $"Blocks[{i}].Norm");
            }

            if (conv.InChannels != channels)
            {
                throw new ArgumentException($"Blocks[{i}].Conv.InChannels {conv.InChannels} does not match the {channels} channels feeding it.", nameof(weights));
            }

            if (block.PoolKernel < 1)
            {
                throw new ArgumentException($"Blocks[{i}].PoolKernel must be at least 1, got {block.PoolKernel}.", nameof(weights));
            }

            // Convolution: floor((in + 2p - k) / s) + 1; max pooling with stride = kernel and no padding: floor(in / k).
            height = (((height + (2 * conv.Padding) - conv.Kernel) / conv.Stride) + 1) / block.PoolKernel;
            width = (((width + (2 * conv.Padding) - conv.Kernel) / conv.Stride) + 1) / block.PoolKernel;
            channels = conv.OutChannels;
            if (height <= 0 || width <= 0)
            {
                throw new ArgumentException($"Blocks[{i}] shrinks the feature map to {height}×{width}.", nameof(weights));
            }
        }

        WeightChecks.Check(weights.Hidden, "Hidden");
        WeightChecks.Check(weights.Output, "Output");
        var flattened = (long)channels * height * width;
        if (weights.Hidden.InFeatures != flattened)
        {
            throw new ArgumentException($"Hidden.InFeatures {weights.Hidden.InFeatures} is not the {flattened} flattened values ({channels}×{height}×{width}).", nameof(weights));
        }

        if (weights.Output.InFeatures != weights.Hidden.OutFeatures)
        {
            throw new ArgumentException($"Output.InFeatures {weights.Output.InFeatures} does not match Hidden.OutFeatures {weights.Hidden.OutFeatures}.", nameof(weights));
        }
    }
}
