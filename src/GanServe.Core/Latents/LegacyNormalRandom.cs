namespace GanServe.Core.Latents;

/// <summary>
/// NumPy's legacy <c>RandomState</c> generator: MT19937 seeded from a 32-bit integer and the polar
/// Gaussian sampler, reproduced bit for bit so a seed names the same latent here as in Python.
/// </summary>
public sealed class LegacyNormalRandom
{
    private const int StateSize = 624;
    private const int ShiftSize = 397;
    private const uint MatrixA = 0x9908b0df;
    private const uint UpperMask = 0x80000000;
    private const uint LowerMask = 0x7fffffff;

    private readonly uint[] _state = new uint[StateSize];
    private int _position;
    private bool _hasGauss;
    private double _gauss;

    /// <summary>Seeds the generator as <c>numpy.random.RandomState(seed)</c> does for an integer seed.</summary>
    public LegacyNormalRandom(uint seed) => Reseed(seed);

    /// <summary>Starts over from <paramref name="seed"/>, exactly as a new generator would (reusing the state array).</summary>
    public void Reseed(uint seed)
    {
        _state[0] = seed;
        for (var i = 1; i < StateSize; i++)
        {
            _state[i] = unchecked((1812433253u * (_state[i - 1] ^ (_state[i - 1] >> 30))) + (uint)i);
        }

        _position = StateSize;
        _hasGauss = false;
        _gauss = 0;
    }

    /// <summary>The next raw 32-bit output of MT19937.</summary>
    public uint NextUInt32()
    {
        if (_position >= StateSize)
        {
            Twist();
        }

        var y = _state[_position++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >> 18;
        return y;
    }

    /// <summary>A double in [0, 1) with 53 random bits, as NumPy's <c>random_sample</c>.</summary>
    public double NextDouble()
    {
        var a = NextUInt32() >> 5;
        var b = NextUInt32() >> 6;
        return ((a * 67108864.0) + b) / 9007199254740992.0;
    }

    /// <summary>A standard normal sample from the legacy polar method, which yields values in pairs.</summary>
    public double NextGaussian()
    {
        if (_hasGauss)
        {
            _hasGauss = false;
            return _gauss;
        }

        double x1, x2, r2;
        do
        {
            x1 = (2.0 * NextDouble()) - 1.0;
            x2 = (2.0 * NextDouble()) - 1.0;
            r2 = (x1 * x1) + (x2 * x2);
        }
        while (r2 >= 1.0 || r2 == 0.0);

        var f = Math.Sqrt(-2.0 * Math.Log(r2) / r2);
        _gauss = f * x1;
        _hasGauss = true;
        return f * x2;
    }

    private void Twist()
    {
        int k;
        uint y;
        for (k = 0; k < StateSize - ShiftSize; k++)
        {
            y = (_state[k] & UpperMask) | (_state[k + 1] & LowerMask);
            _state[k] = _state[k + ShiftSize] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : MatrixA);
        }

        for (; k < StateSize - 1; k++)
        {
            y = (_state[k] & UpperMask) | (_state[k + 1] & LowerMask);
            _state[k] = _state[k + ShiftSize - StateSize] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : MatrixA);
        }

        y = (_state[StateSize - 1] & UpperMask) | (_state[0] & LowerMask);
        _state[StateSize - 1] = _state[ShiftSize - 1] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : MatrixA);
        _position = 0;
    }
}
