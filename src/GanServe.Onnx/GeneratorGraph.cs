using Google.Protobuf;
using Onnx;

namespace GanServe.Onnx;

/// <summary>Channels and spatial size of one generated image, as the exported graph declares it.</summary>
public readonly record struct GeneratorOutputShape(int Channels, int Height, int Width);

/// <summary>Exports a DCGAN-style generator from plain weight arrays to an ONNX graph with batch norm folded away.</summary>
/// <remarks>
/// Graph: z[N, LatentDim] -> Gemm(transB=1) -> Reshape[-1, C, S, S] -> Relu -> (ConvTranspose -> Relu)*
/// -> ConvTranspose -> Tanh -> image[N, C, H, W], with N symbolic and C, H, W concrete so a server can read the
/// image shape from the graph.
/// </remarks>
public static class GeneratorGraph
{
    /// <summary>The default-domain opset of the exported graph.</summary>
    public const int Opset = OnnxGraphBuilder.DefaultOpset;

    /// <summary>The symbolic batch dimension of the input and output.</summary>
    public const string BatchDim = "N";

    /// <summary>Builds the inference graph; every BatchNorm is folded into the Gemm / ConvTranspose before it.</summary>
    public static ModelProto Build(GeneratorWeights weights, string inputName = "z", string outputName = "image")
    {
        var shape = OutputShape(weights);
        ArgumentException.ThrowIfNullOrWhiteSpace(inputName);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputName);
        if (inputName == outputName)
        {
            throw new ArgumentException("Input and output need different names.", nameof(outputName));
        }

        var builder = new OnnxGraphBuilder("generator", Opset);
        builder.AddInput(inputName, BatchDim, weights.LatentDim);
        builder.AddOutput(outputName, BatchDim, shape.Channels, shape.Height, shape.Width);

        var spatial = weights.ProjectSize * weights.ProjectSize;
        var project = BatchNormFolding.FoldIntoDense(weights.Project, weights.ProjectNorm, spatial);
        var x = builder.Dense(inputName, project, "project");
        x = builder.Reshape(x, [-1, weights.ProjectChannels, weights.ProjectSize, weights.ProjectSize], "project_reshape");
        x = builder.Relu(x, "project_relu");

        for (var i = 0; i < weights.Blocks.Count; i++)
        {
            var block = weights.Blocks[i];
            var conv = BatchNormFolding.FoldIntoConvTranspose(block.Conv, block.Norm);
            x = builder.ConvTranspose2d(x, conv, $"up{i}");
            x = builder.Relu(x, $"up{i}_relu");
        }

        x = builder.ConvTranspose2d(x, weights.Output, "to_image");
        builder.Tanh(x, outputName);
        return builder.Build();
    }

    /// <summary>Builds the graph and writes it to <paramref name="path"/>.</summary>
    public static void Save(GeneratorWeights weights, string path, string inputName = "z", string outputName = "image") =>
        OnnxGraphBuilder.SaveModel(Build(weights, inputName, outputName), path);

    /// <summary>Builds the graph and serializes it, e.g. for an in-memory inference session.</summary>
    public static byte[] ToBytes(GeneratorWeights weights, string inputName = "z", string outputName = "image") =>
        Build(weights, inputName, outputName).ToByteArray();

    /// <summary>
    /// Checks that the layers chain together and returns the image shape, from the transposed-convolution size
    /// (in - 1) * stride - 2 * padding + kernel at each stage.
    /// </summary>
    public static GeneratorOutputShape OutputShape(GeneratorWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(weights.Blocks, nameof(weights));
        if (weights.LatentDim <= 0 || weights.ProjectChannels <= 0 || weights.ProjectSize <= 0)
        {
            throw new ArgumentException(
                $"LatentDim, ProjectChannels and ProjectSize must be positive, got {weights.LatentDim}, "
                + $"{weights.ProjectChannels}, {weights.ProjectSize}.",
                nameof(weights));
        }

        WeightChecks.Check(weights.Project, "Project");
        if (weights.Project.InFeatures != weights.LatentDim)
        {
            throw new ArgumentException(
                $"Project.InFeatures {weights.Project.InFeatures} does not match LatentDim {weights.LatentDim}.", nameof(weights));
        }

        var projected = (long)weights.ProjectChannels * weights.ProjectSize * weights.ProjectSize;
        if (weights.Project.OutFeatures != projected)
        {
            throw new ArgumentException(
                $"Project.OutFeatures {weights.Project.OutFeatures} is not ProjectChannels * ProjectSize^2 = {projected}.",
                nameof(weights));
        }

        WeightChecks.Check(weights.ProjectNorm, weights.ProjectChannels, "ProjectNorm");

        var channels = weights.ProjectChannels;
        var size = weights.ProjectSize;
        for (var i = 0; i < weights.Blocks.Count; i++)
        {
            var block = weights.Blocks[i] ?? throw new ArgumentException($"Blocks[{i}] is null.", nameof(weights));
            WeightChecks.Check(block.Conv, $"Blocks[{i}].Conv");
            WeightChecks.Check(block.Norm, block.Conv.OutChannels, $"Blocks[{i}].Norm");
            size = Stage(block.Conv, channels, size, $"Blocks[{i}].Conv");
            channels = block.Conv.OutChannels;
        }

        WeightChecks.Check(weights.Output, "Output");
        size = Stage(weights.Output, channels, size, "Output");
        return new GeneratorOutputShape(weights.Output.OutChannels, size, size);
    }

    private static int Stage(ConvTransposeWeights conv, int inChannels, int inSize, string what)
    {
        if (conv.InChannels != inChannels)
        {
            throw new ArgumentException($"{what}.InChannels {conv.InChannels} does not match the {inChannels} channels feeding it.");
        }

        var size = ((inSize - 1) * conv.Stride) - (2 * conv.Padding) + conv.Kernel;
        if (size <= 0)
        {
            throw new ArgumentException($"{what} turns size {inSize} into {size}.");
        }

        return size;
    }
}
