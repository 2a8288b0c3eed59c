namespace GanServe.Onnx;

/// <summary>Shape checks on weight records, so a mismatched export fails with a message instead of a broken graph.</summary>
internal static class WeightChecks
{
    public static void Check(DenseWeights dense, string what)
    {
        ArgumentNullException.ThrowIfNull(dense, what);
        Positive(dense.InFeatures, $"{what}.InFeatures");
        Positive(dense.OutFeatures, $"{what}.OutFeatures");
        Length(dense.Weight, (long)dense.OutFeatures * dense.InFeatures, $"{what}.Weight");
        OptionalLength(dense.Bias, dense.OutFeatures, $"{what}.Bias");
    }

    public static void Check(BatchNormWeights norm, int channels, string what)
    {
        ArgumentNullException.ThrowIfNull(norm, what);
        Length(norm.Gamma, channels, $"{what}.Gamma");
        Length(norm.Beta, channels, $"{what}.Beta");
        Length(norm.RunningMean, channels, $"{what}.RunningMean");
        Length(norm.RunningVar, channels, $"{what}.RunningVar");
        if (!(norm.Epsilon >= 0))
        {
            throw new ArgumentException($"{what}.Epsilon must be non-negative, got {norm.Epsilon}.");
        }

        foreach (var variance in norm.RunningVar)
        {
            if (!(variance + norm.Epsilon > 0))
            {
                throw new ArgumentException($"{what}.RunningVar + Epsilon must be positive, got {variance} + {norm.Epsilon}.");
            }
        }
    }

    public static void Check(ConvTransposeWeights conv, string what)
    {
        ArgumentNullException.ThrowIfNull(conv, what);
        CheckConvGeometry(conv.InChannels, conv.OutChannels, conv.Kernel, conv.Stride, conv.Padding, what);
        Length(conv.Weight, (long)conv.InChannels * conv.OutChannels * conv.Kernel * conv.Kernel, $"{what}.Weight");
        OptionalLength(conv.Bias, conv.OutChannels, $"{what}.Bias");
    }

    public static void Check(Conv2dWeights conv, string what)
    {
        ArgumentNullException.ThrowIfNull(conv, what);
        CheckConvGeometry(conv.InChannels, conv.OutChannels, conv.Kernel, conv.Stride, conv.Padding, what);
        Length(conv.Weight, (long)conv.OutChannels * conv.InChannels * conv.Kernel * conv.Kernel, $"{what}.Weight");
        OptionalLength(conv.Bias, conv.OutChannels, $"{what}.Bias");
    }

    private static void CheckConvGeometry(int inChannels, int outChannels, int kernel, int stride, int padding, string what)
    {
        Positive(inChannels, $"{what}.InChannels");
        Positive(outChannels, $"{what}.OutChannels");
        Positive(kernel, $"{what}.Kernel");
        Positive(stride, $"{what}.Stride");
        if (padding < 0)
        {
            throw new ArgumentException($"{what}.Padding must be non-negative, got {padding}.");
        }
    }

    private static void Positive(int value, string what)
    {
        if (value <= 0)
        {
            throw new ArgumentException($"{what} must be positive, got {value}.");
        }
    }

    private static void Length(float[]? values, long expected, string what)
    {
        if (values is null)
        {
            throw new ArgumentException($"{what} is missing.");
        }

        if (values.Length != expected)
        {
            throw new ArgumentException($"{what} has {values.Length} values, expected {expected}.");
        }
    }

    private static void OptionalLength(float[]? values, long expected, string what)
    {
        if (values is not null)
        {
            Length(values, expected, what);
        }
    }
}
