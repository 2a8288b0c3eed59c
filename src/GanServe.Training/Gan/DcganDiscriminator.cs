using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GanServe.Training.Gan;

/// <summary>
/// DCGAN discriminator for 28×28 images: strided convolutions 28→14→7 with LeakyReLU(0.2)
/// (BatchNorm on the second), then one logit. Losses use the logit (BCE with logits).
/// </summary>
public sealed class DcganDiscriminator : Module<Tensor, Tensor>
{
    private readonly Conv2d _conv1;
    private readonly Conv2d _conv2;
    private readonly BatchNorm2d _norm2;
    private readonly Linear _classify;
    private readonly int _width;

    /// <summary>Creates the discriminator with <paramref name="width"/> channels in its first layer.</summary>
    public DcganDiscriminator(int width = 64, int imageChannels = 1)
        : base("discriminator")
    {
        _width = width;
        _conv1 = Conv2d(imageChannels, width, kernel_size: 4, stride: 2, padding: 1);
        _conv2 = Conv2d(width, width * 2, kernel_size: 4, stride: 2, padding: 1, bias: false);
        _norm2 = BatchNorm2d(width * 2);
        _classify = Linear(width * 2 * 7 * 7, 1);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = functional.leaky_relu(_conv1.forward(input), 0.2);
        x = functional.leaky_relu(_norm2.forward(_conv2.forward(x)), 0.2);
        x = x.view(-1, _width * 2 * 7 * 7);
        return _classify.forward(x).view(-1).MoveToOuterDisposeScope();
    }
}
