using GanServe.Onnx;
using GanServe.Training.Gan;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GanServe.Training.Export;

/// <summary>Maps the TorchSharp DCGAN generator onto the TorchSharp-free ONNX graph writer.</summary>
public static class GeneratorExport
{
    /// <summary>Copies the generator's weights (in eval form: BatchNorm running statistics) into plain arrays.</summary>
    public static GeneratorWeights ToWeights(DcganGenerator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var project = generator.Project;
        return new GeneratorWeights(
            generator.LatentDim,
            new DenseWeights(Array(project.weight), null, generator.LatentDim, (int)project.weight!.shape[0]),
            generator.Width,
            DcganGenerator.ProjectSize,
            Norm(generator.ProjectNorm),
            generator.Blocks.Select(b => new UpBlockWeights(ConvT(b.Conv), Norm(b.Norm))).ToList(),
            ConvT(generator.Output));
    }

    private static ConvTransposeWeights ConvT(ConvTranspose2d conv)
    {
        var shape = conv.weight!.shape;
        return new ConvTransposeWeights(
            Array(conv.weight),
            conv.bias is null ? null : Array(conv.bias),
            (int)shape[0],
            (int)shape[1],
            (int)shape[2],
            (int)conv.stride[0],
            (int)conv.padding![0]);
    }

    /// <summary>A BatchNorm layer's inference-form weights (shared by every exporter).</summary>
    internal static BatchNormWeights Norm(BatchNorm2d norm) => new(
        Array(norm.weight),
        Array(norm.bias),
        Array(norm.running_mean),
        Array(norm.running_var),
        (float)norm.eps);

    /// <summary>A tensor's values, detached and contiguous, as a plain array.</summary>
    internal static float[] Array(Tensor? tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var cpu = tensor.detach().contiguous();
        return cpu.data<float>().ToArray();
    }
}
