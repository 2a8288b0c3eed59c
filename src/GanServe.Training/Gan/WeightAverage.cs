using TorchSharp;
using static TorchSharp.torch;

namespace GanServe.Training.Gan;

/// <summary>
/// Exponential moving average of a generator's parameters (the weights exported for serving),
/// with BatchNorm running statistics copied from the live generator.
/// </summary>
public sealed class WeightAverage
{
    private readonly (Tensor Average, Tensor Live)[] _parameters;
    private readonly (Tensor Average, Tensor Live)[] _buffers;

    /// <summary>Tracks <paramref name="live"/> in <paramref name="average"/>, which starts as a copy of it.</summary>
    public WeightAverage(DcganGenerator live, DcganGenerator average, double decay)
    {
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(average);
        Average = average;
        Decay = decay;
        _parameters = average.parameters().Zip(live.parameters(), (a, l) => ((Tensor)a, (Tensor)l)).ToArray();
        _buffers = average.buffers().Zip(live.buffers(), (a, l) => (a, l)).ToArray();
        CopyAll();
    }

    /// <summary>The averaged generator.</summary>
    public DcganGenerator Average { get; }

    /// <summary>Weight kept from the previous average at each step.</summary>
    public double Decay { get; }

    /// <summary>Moves the average one step toward the live generator.</summary>
    public void Update()
    {
        using var noGrad = no_grad();
        foreach (var (average, live) in _parameters)
        {
            average.mul_(Decay).add_(live, alpha: 1.0 - Decay);
        }

        foreach (var (average, live) in _buffers)
        {
            average.copy_(live);
        }
    }

    /// <summary>Makes the average equal to the live generator.</summary>
    public void CopyAll()
    {
        using var noGrad = no_grad();
        foreach (var (average, live) in _parameters)
        {
            average.copy_(live);
        }

        foreach (var (average, live) in _buffers)
        {
            average.copy_(live);
        }

    }
}
