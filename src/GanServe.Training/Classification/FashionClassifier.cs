using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GanServe.Training.Classification;

/// <summary>
/// A small CNN for 28×28 grey images in [-1, 1]: two Conv(3×3) → BatchNorm → ReLU → MaxPool(2) stages
/// (32 and 64 channels), Linear(3136 → 128) → ReLU, the features, then Linear(128 → classes), the logits.
/// </summary>
public sealed class FashionClassifier : Module<Tensor, Tensor>
{
    /// <summary>Image side the network expects.</summary>
    public const int ImageSize = 28;

    /// <summary>Length of the penultimate-layer feature vector.</summary>
    public const int FeatureDim = 128;

    /// <summary>Channels of the first convolution; the second has twice as many.</summary>
    public const int Width = 32;

    /// <summary>Side of the feature map after both poolings.</summary>
    public const int PooledSize = ImageSize / 4;

    private readonly Conv2d _conv1;
    private readonly BatchNorm2d _norm1;
    private readonly Conv2d _conv2;
    private readonly BatchNorm2d _norm2;
    private readonly Linear _hidden;
    private readonly Linear _output;

    /// <summary>Creates the network with torch's default initialisation (drawn from the global seed).</summary>
    public FashionClassifier(int classes = 10)
        : base("classifier")
    {
        Classes = classes;
        _conv1 = Conv2d(1, Width, kernel_size: 3, padding: 1, bias: false);
        _norm1 = BatchNorm2d(Width);
        _conv2 = Conv2d(Width, Width * 2, kernel_size: 3, padding: 1, bias: false);
        _norm2 = BatchNorm2d(Width * 2);
        _hidden = Linear(Width * 2 * PooledSize * PooledSize, FeatureDim);
        _output = Linear(FeatureDim, classes);
        RegisterComponents();
    }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    internal Conv2d Conv1 => _conv1;

    internal BatchNorm2d Norm1 => _norm1;

    internal Conv2d Conv2 => _conv2;

    internal BatchNorm2d Norm2 => _norm2;

    internal Linear Hidden => _hidden;

    internal Linear Output => _output;

    /// <summary>The logits [N, classes] of images [N, 1, 28, 28].</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var (logits, _) = LogitsAndFeatures(input);
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>The logits [N, classes] and the features [N, 128] they are computed from.</summary>
    public (Tensor Logits, Tensor Features) LogitsAndFeatures(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = NewDisposeScope();
        var x = functional.max_pool2d(functional.relu(_norm1.forward(_conv1.forward(input))), 2);
        x = functional.max_pool2d(functional.relu(_norm2.forward(_conv2.forward(x))), 2);
        var features = functional.relu(_hidden.forward(x.flatten(1)));
        var logits = _output.forward(features);
        return (logits.MoveToOuterDisposeScope(), features.MoveToOuterDisposeScope());
    }
}
