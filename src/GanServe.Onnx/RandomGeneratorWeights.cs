namespace GanServe.Onnx;

/// <summary>Small DCGAN generators with random weights, for tests and tools that need a model without libtorch.</summary>
public static class RandomGeneratorWeights
{
    private const int UpKernel = 4;
    private const int UpStride = 2;
    private const int UpPadding = 1;

    /// <summary>
    /// Builds Linear(latentDim -> projectChannels * projectSize^2, no bias as BN follows) + BN, then <paramref name="blocks"/> stages of
    /// ConvTranspose(k4 s2 p1, halving channels) + BN, then an output ConvTranspose(k4 s2 p1, with bias) to
    /// <paramref name="channels"/>; the image side is projectSize * 2^(blocks + 1). The same seed gives the same weights.
    /// </summary>
    /// <remarks>
    /// Weights are scaled by fan-in so activations stay near unit size (outputs neither vanish nor saturate tanh),
    /// and the batch-norm statistics are deliberately far from the identity so folding mistakes show up.
    /// </remarks>
    public static GeneratorWeights Create(int latentDim, int channels, int projectChannels, int projectSize, int blocks, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(latentDim, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(projectChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(projectSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(blocks);

        var random = new Random(seed);
        var projectOut = projectChannels * projectSize * projectSize;
        var project = new DenseWeights(
            Normal(random, projectOut * latentDim, 1.0 / Math.Sqrt(latentDim)),
            null,
            latentDim,
            projectOut);
        var projectNorm = Norm(random, projectChannels);

        var upBlocks = new List<UpBlockWeights>(blocks);
        var inChannels = projectChannels;
        for (var i = 0; i < blocks; i++)
        {
            var outChannels = Math.Max(1, inChannels / 2);
            upBlocks.Add(new UpBlockWeights(UpConv(random, inChannels, outChannels, withBias: false), Norm(random, outChannels)));
            inChannels = outChannels;
        }

        var output = UpConv(random, inChannels, channels, withBias: true);
        return new GeneratorWeights(latentDim, project, projectChannels, projectSize, projectNorm, upBlocks, output);
    }

    private static ConvTransposeWeights UpConv(Random random, int inChannels, int outChannels, bool withBias)
    {
        // With stride 2 and kernel 4 each output pixel gathers (4/2)^2 taps per input channel.
        var fanIn = inChannels * (UpKernel / UpStride) * (UpKernel / UpStride);
        var std = Math.Sqrt(2.0 / fanIn);
        var weight = Normal(random, inChannels * outChannels * UpKernel * UpKernel, std);
        var bias = withBias ? Normal(random, outChannels, 0.1) : null;
        return new ConvTransposeWeights(weight, bias, inChannels, outChannels, UpKernel, UpStride, UpPadding);
    }

    private static BatchNormWeights Norm(Random random, int channels)
    {
        var gamma = new float[channels];
        var beta = new float[channels];
        var mean = new float[channels];
        var variance = new float[channels];
        for (var c = 0; c < channels; c++)
        {
            gamma[c] = (float)Uniform(random, 0.5, 1.5);
            beta[c] = (float)(0.2 * Gaussian(random));
            mean[c] = (float)(0.3 * Gaussian(random));
            variance[c] = (float)Uniform(random, 0.3, 2.0);
        }

        return new BatchNormWeights(gamma, beta, mean, variance, 1e-5f);
    }

    private static float[] Normal(Random random, int count, double std)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)(std * Gaussian(random));
        }

        return values;
    }

    private static double Uniform(Random random, double low, double high) => low + ((high - low) * random.NextDouble());

    private static double Gaussian(Random random)
    {
        // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
        var u = 1.0 - random.NextDouble();
        var v = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2.0 * Math.PI * v);
    }
}
