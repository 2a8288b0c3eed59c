namespace GanServe.Onnx;

/// <summary>Folds inference-mode batch norm into the layer before it, so exported graphs carry no BatchNormalization nodes.</summary>
/// <remarks>
/// With scale = gamma / sqrt(var + eps), BN(Wx + b) = (W * scale) x + ((b - mean) * scale + beta) per output channel.
/// The arithmetic runs in double so folding adds no rounding beyond the final cast to float.
/// </remarks>
public static class BatchNormFolding
{
    /// <summary>
    /// Folds a norm over <c>OutFeatures / featuresPerChannel</c> channels into a Linear layer whose output index j
    /// belongs to channel j / featuresPerChannel (1 for BatchNorm1d, C*H*W/C when the output is reshaped to [C, H, W]).
    /// </summary>
    public static DenseWeights FoldIntoDense(DenseWeights dense, BatchNormWeights norm, int featuresPerChannel = 1)
    {
        WeightChecks.Check(dense, nameof(dense));
        ArgumentOutOfRangeException.ThrowIfLessThan(featuresPerChannel, 1);
        if (dense.OutFeatures % featuresPerChannel != 0)
        {
            throw new ArgumentException(
                $"OutFeatures {dense.OutFeatures} is not a multiple of featuresPerChannel {featuresPerChannel}.");
        }

        WeightChecks.Check(norm, dense.OutFeatures / featuresPerChannel, nameof(norm));
        var weight = new float[dense.Weight.Length];
        var bias = new float[dense.OutFeatures];
        for (var j = 0; j < dense.OutFeatures; j++)
        {
            var channel = j / featuresPerChannel;
            var scale = Scale(norm, channel);
            var row = j * dense.InFeatures;
            for (var i = 0; i < dense.InFeatures; i++)
            {
                weight[row + i] = (float)(dense.Weight[row + i] * scale);
            }

            bias[j] = FoldedBias(norm, channel, scale, dense.Bias?[j] ?? 0f);
        }

        return dense with { Weight = weight, Bias = bias };
    }

    /// <summary>Folds a norm into a transposed convolution; output channels are axis 1 of its weight.</summary>
    public static ConvTransposeWeights FoldIntoConvTranspose(ConvTransposeWeights conv, BatchNormWeights norm)
    {
        WeightChecks.Check(conv, nameof(conv));
        WeightChecks.Check(norm, conv.OutChannels, nameof(norm));
        var taps = conv.Kernel * conv.Kernel;
        var weight = new float[conv.Weight.Length];
        var bias = new float[conv.OutChannels];
        for (var o = 0; o < conv.OutChannels; o++)
        {
            var scale = Scale(norm, o);
            for (var i = 0; i < conv.InChannels; i++)
            {
                var start = ((i * conv.OutChannels) + o) * taps;
                for (var t = start; t < start + taps; t++)
                {
                    weight[t] = (float)(conv.Weight[t] * scale);
                }
            }

            bias[o] = FoldedBias(norm, o, scale, conv.Bias?[o] ?? 0f);
        }

        return conv with { Weight = weight, Bias = bias };
    }

    /// <summary>Folds a norm into a convolution; output channels are axis 0 of its weight.</summary>
    public static Conv2dWeights FoldIntoConv(Conv2dWeights conv, BatchNormWeights norm)
    {
        WeightChecks.Check(conv, nameof(conv));
        WeightChecks.Check(norm, conv.OutChannels, nameof(norm));
        var perOutput = conv.InChannels * conv.Kernel * conv.Kernel;
        var weight = new float[conv.Weight.Length];
        var bias = new float[conv.OutChannels];
        for (var o = 0; o < conv.OutChannels; o++)
        {
            var scale = Scale(norm, o);
            var start = o * perOutput;
            for (var t = start; t < start + perOutput; t++)
            {
                weight[t] = (float)(conv.Weight[t] * scale);
            }

            bias[o] = FoldedBias(norm, o, scale, conv.Bias?[o] ?? 0f);
        }

        return conv with { Weight = weight, Bias = bias };
    }

    private static double Scale(BatchNormWeights norm, int channel) =>
        norm.Gamma[channel] / Math.Sqrt((double)norm.RunningVar[channel] + norm.Epsilon);

    private static float FoldedBias(BatchNormWeights norm, int channel, double scale, float bias) =>
        (float)((((double)bias - norm.RunningMean[channel]) * scale) + norm.Beta[channel]);
}
