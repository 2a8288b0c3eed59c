using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GanServe.Training.Gan;

/// <summary>
/// DCGAN discriminator for 28×28 images: strided convolutions 28→14→7 with LeakyReLU(0.2)
/// (BatchNorm on the second), then one logit. Losses use the logit (BCE with logits).
/// With spectral normalisation, every layer's weight is divided by an estimate of its largest
/// singular value (one power iteration per training forward pass) and the BatchNorm goes:
/// D becomes 1-Lipschitz per layer, which keeps it from outrunning the generator.
/// </summary>
public sealed class DcganDiscriminator : Module<Tensor, Tensor>
{
    private readonly Conv2d _conv1;
    private readonly Conv2d _conv2;
    private readonly BatchNorm2d? _norm2;
    private readonly Linear _classify;
    private readonly int _width;
    private readonly SpectralEstimate[]? _spectral;

    /// <summary>Creates the discriminator with <paramref name="width"/> channels in its first layer.</summary>
    public DcganDiscriminator(int width = 64, int imageChannels = 1, bool spectralNorm = false)
        : base("discriminator")
    {
        _width = width;
        SpectralNorm = spectralNorm;
        _conv1 = Conv2d(imageChannels, width, kernel_size: 4, stride: 2, padding: 1);
        _conv2 = Conv2d(width, width * 2, kernel_size: 4, stride: 2, padding: 1, bias: spectralNorm);
        _norm2 = spectralNorm ? null : BatchNorm2d(width * 2);
        _classify = Linear(width * 2 * 7 * 7, 1);
        RegisterComponents();
        if (spectralNorm)
        {
            _spectral =
            [
                new SpectralEstimate(this, "sn_conv1", _conv1.weight!),
                new SpectralEstimate(this, "sn_conv2", _conv2.weight!),
                new SpectralEstimate(this, "sn_classify", _classify.weight!),
            ];
        }
    }

    /// <summary>Whether the layers are spectrally normalised.</summary>
    public bool SpectralNorm { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor x;
        if (_spectral is null)
        {
            x = functional.leaky_relu(_conv1.forward(input), 0.2);
            x = functional.leaky_relu(_norm2!.forward(_conv2.forward(x)), 0.2);
            x = x.view(-1, _width * 2 * 7 * 7);
            return _classify.forward(x).view(-1).MoveToOuterDisposeScope();
        }

        long[] stride = [2, 2], padding = [1, 1];
        x = functional.conv2d(input, _spectral[0].Normalized(training), _conv1.bias, stride, padding);
        x = functional.leaky_relu(x, 0.2);
        x = functional.conv2d(x, _spectral[1].Normalized(training), _conv2.bias, stride, padding);
        x = functional.leaky_relu(x, 0.2);
        x = x.view(-1, _width * 2 * 7 * 7);
        return functional.linear(x, _spectral[2].Normalized(training), _classify.bias).view(-1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The power-iteration estimate of one weight's largest singular value (Miyato et al., 2018):
    /// left and right singular vector estimates kept as buffers, so checkpoints carry them.
    /// </summary>
    internal sealed class SpectralEstimate
    {
        private readonly Tensor _weight;
        private readonly Tensor _u;
        private readonly Tensor _v;

        public SpectralEstimate(Module owner, string name, Tensor weight)
        {
            _weight = weight;
            var rows = weight.shape[0];
            var columns = weight.numel() / rows;
            using (no_grad())
            {
                _u = Unit(randn(rows));
                _v = Unit(randn(columns));
            }

            owner.register_buffer(name + "_u", _u);
            owner.register_buffer(name + "_v", _v);
        }

        /// <summary>The largest-singular-value estimate for the current weight (no gradient).</summary>
        public float Sigma()
        {
            using var noGrad = no_grad();
            using var matrix = _weight.reshape(_weight.shape[0], -1);
            using var wv = matrix.matmul(_v);
            using var sigma = _u.dot(wv);
            return sigma.item<float>();
        }

        /// <summary>
        /// W / σ(W). In training mode one power-iteration step refines the singular vectors first;
        /// σ is u·Wv with the vectors held constant, so the gradient flows through W alone.
        /// </summary>
        public Tensor Normalized(bool training)
        {
            var matrix = _weight.reshape(_weight.shape[0], -1);
            if (training)
            {
                using var noGrad = no_grad();
                using var v = Unit(matrix.t().matmul(_u));
                using var u = Unit(matrix.matmul(v));
                _v.copy_(v);
                _u.copy_(u);
            }

            // Copies: a later forward pass refines the buffers in place while this pass's graph still needs them.
            var sigma = _u.clone().dot(matrix.matmul(_v.clone()));
            return _weight / sigma;
        }

        private static Tensor Unit(Tensor x)
        {
            using (x)
            {
                return x / (x.norm() + 1e-12);
            }
        }
    }

    /// <summary>The current σ estimates of the three layers (tests; 1 after normalisation is the point).</summary>
    internal float[] SpectralSigmas() => _spectral?.Select(s => s.Sigma()).ToArray() ?? [];
}
