namespace GanServe.Onnx;

/// <summary>torch.nn.Linear layout: Weight is [OutFeatures, InFeatures] row-major.</summary>
public sealed record DenseWeights(float[] Weight, float[]? Bias, int InFeatures, int OutFeatures);

/// <summary>torch BatchNorm in inference form.</summary>
public sealed record BatchNormWeights(float[] Gamma, float[] Beta, float[] RunningMean, float[] RunningVar, float Epsilon);

/// <summary>torch.nn.ConvTranspose2d layout: Weight is [InChannels, OutChannels, Kernel, Kernel].</summary>
public sealed record ConvTransposeWeights(
    float[] Weight, float[]? Bias, int InChannels, int OutChannels, int Kernel, int Stride, int Padding);

/// <summary>torch.nn.Conv2d layout (groups = 1): Weight is [OutChannels, InChannels, Kernel, Kernel].</summary>
public sealed record Conv2dWeights(
    float[] Weight, float[]? Bias, int InChannels, int OutChannels, int Kernel, int Stride, int Padding);

/// <summary>One generator up-sampling stage: a transposed convolution followed by batch norm and ReLU.</summary>
public sealed record UpBlockWeights(ConvTransposeWeights Conv, BatchNormWeights Norm);

/// <summary>
/// z[N, LatentDim] -> Linear -> reshape [N, ProjectChannels, ProjectSize, ProjectSize] -> BatchNorm2d(ProjectNorm) -> ReLU
/// -> for each block: ConvTranspose2d -> BatchNorm2d -> ReLU -> Output ConvTranspose2d (with bias) -> Tanh.
/// </summary>
public sealed record GeneratorWeights(
    int LatentDim,
    DenseWeights Project,
    int ProjectChannels,
    int ProjectSize,
    BatchNormWeights ProjectNorm,
    IReadOnlyList<UpBlockWeights> Blocks,
    ConvTransposeWeights Output);
