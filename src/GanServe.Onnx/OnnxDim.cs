namespace GanServe.Onnx;

/// <summary>One dimension of a graph input or output shape: a fixed size or a symbolic name such as "N".</summary>
public readonly record struct OnnxDim
{
    private OnnxDim(long? value, string? symbol)
    {
        Value = value;
        Symbol = symbol;
    }

    /// <summary>The fixed size, or null when the dimension is symbolic.</summary>
    public long? Value { get; }

    /// <summary>The symbolic name, or null when the dimension is fixed.</summary>
    public string? Symbol { get; }

    /// <summary>True when the dimension is a symbolic name rather than a fixed size.</summary>
    public bool IsSymbolic => Symbol is not null;

    /// <summary>A fixed, non-negative size.</summary>
    public static OnnxDim Fixed(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        return new OnnxDim(value, null);
    }

    /// <summary>A symbolic dimension, bound by the runtime (e.g. the batch size "N").</summary>
    public static OnnxDim Symbolic(string symbol)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(symbol);
        return new OnnxDim(null, symbol);
    }

    /// <summary>Same as <see cref="Fixed"/>; lets shapes be written as plain numbers.</summary>
    public static implicit operator OnnxDim(long value) => Fixed(value);

    /// <summary>Same as <see cref="Symbolic"/>; lets shapes be written as plain names.</summary>
    public static implicit operator OnnxDim(string symbol) => Symbolic(symbol);

    /// <summary>Named alternative to the implicit conversion from a number.</summary>
    public static OnnxDim FromInt64(long value) => Fixed(value);

    /// <summary>Named alternative to the implicit conversion from a name.</summary>
    public static OnnxDim FromString(string symbol) => Symbolic(symbol);

    /// <inheritdoc />
    public override string ToString() => Symbol ?? Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?";
}
