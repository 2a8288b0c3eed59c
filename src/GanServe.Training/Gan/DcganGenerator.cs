using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GanServe.Training.Gan;

/// <summary>
/// DCGAN generator for 28×28 grey images: z → Linear → 7×7 feature map → BatchNorm, ReLU →
/// ConvTranspose 7→14 → BatchNorm, ReLU → ConvTranspose 14→28 → Tanh, values in [-1, 1].
/// With <see cref="Refine"/>, the second transposed convolution yields a quarter of the width
/// in channels at 28×28 (BatchNorm, ReLU) and a 3×3 stride-1 transposed convolution (a 3×3
/// convolution with a flipped kernel) draws the pixels from it.
/// </summary>
public sealed class DcganGenerator : Module<Tensor, Tensor>
{
    /// <summary>Side of the first feature map.</summary>
    public const int ProjectSize = 7;

    private readonly Linear _project;
    private readonly BatchNorm2d _projectNorm;
    private readonly ConvTranspose2d _up;
    private readonly BatchNorm2d _upNorm;
    private readonly ConvTranspose2d? _up2;
    private readonly BatchNorm2d? _up2Norm;
    private readonly ConvTranspose2d _output;

    /// <summary>Creates the generator with <paramref name="width"/> channels in its first feature map.</summary>
    public DcganGenerator(int latentDim = 100, int width = 128, int imageChannels = 1, bool refine = false)
        : base("generator")
    {
        LatentDim = latentDim;
        Width = width;
        ImageChannels = imageChannels;
        Refine = refine;
        _project = Linear(latentDim, width * ProjectSize * ProjectSize, hasBias: false);
        _projectNorm = BatchNorm2d(width);
        _up = ConvTranspose2d(width, width / 2, kernel_size: 4, stride: 2, padding: 1, bias: false);
        _upNorm = BatchNorm2d(width / 2);
        if (refine)
        {
            _up2 = ConvTranspose2d(width / 2, width / 4, kernel_size: 4, stride: 2, padding: 1, bias: false);
            _up2Norm = BatchNorm2d(width / 4);
            _output = ConvTranspose2d(width / 4, imageChannels, kernel_size: 3, stride: 1, padding: 1, bias: true);
        }
        else
        {
            _output = ConvTranspose2d(width / 2, imageChannels, kernel_size: 4, stride: 2, padding: 1, bias: true);
        }

        RegisterComponents();
    }

    /// <summary>Whether the generator has the 28×28 refinement stage.</summary>
    public bool Refine { get; }

    /// <summary>Latent size.</summary>
    public int LatentDim { get; }

    /// <summary>Channels of the first feature map.</summary>
    public int Width { get; }

    /// <summary>Output channels.</summary>
    public int ImageChannels { get; }

    internal Linear Project => _project;

    internal BatchNorm2d ProjectNorm => _projectNorm;

    internal ConvTranspose2d Up => _up;

    internal BatchNorm2d UpNorm => _upNorm;

    internal ConvTranspose2d Output => _output;

    /// <summary>The upsampling blocks in order, each a transposed convolution and its BatchNorm.</summary>
    internal IReadOnlyList<(ConvTranspose2d Conv, BatchNorm2d Norm)> Blocks =>
        _up2 is null ? [(_up, _upNorm)] : [(_up, _upNorm), (_up2, _up2Norm!)];

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = _project.forward(input).view(-1, Width, ProjectSize, ProjectSize);
        x = functional.relu(_projectNorm.forward(x));
        x = functional.relu(_upNorm.forward(_up.forward(x)));
        if (_up2 is not null)
        {
            x = functional.relu(_up2Norm!.forward(_up2.forward(x)));
        }

        return _output.forward(x).tanh().MoveToOuterDisposeScope();
    }
}
