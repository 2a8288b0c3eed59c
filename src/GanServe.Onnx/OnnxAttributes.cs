using Onnx;

namespace GanServe.Onnx;

/// <summary>Factories for the node attribute kinds the exporters need.</summary>
public static class OnnxAttributes
{
    /// <summary>A single 64-bit integer attribute.</summary>
    public static AttributeProto Int(string name, long value) =>
        new() { Name = CheckName(name), Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>A list-of-integers attribute (strides, pads, kernel_shape, ...).</summary>
    public static AttributeProto Ints(string name, params ReadOnlySpan<long> values)
    {
        var attribute = new AttributeProto { Name = CheckName(name), Type = AttributeProto.Types.AttributeType.Ints };
        foreach (var value in values)
        {
            attribute.Ints.Add(value);
        }

        return attribute;
    }

    /// <summary>A single 32-bit float attribute.</summary>
    public static AttributeProto Float(string name, float value) =>
        new() { Name = CheckName(name), Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>A list-of-floats attribute.</summary>
    public static AttributeProto Floats(string name, params ReadOnlySpan<float> values)
    {
        var attribute = new AttributeProto { Name = CheckName(name), Type = AttributeProto.Types.AttributeType.Floats };
        foreach (var value in values)
        {
            attribute.Floats.Add(value);
        }

        return attribute;
    }

    /// <summary>A UTF-8 string attribute (e.g. auto_pad).</summary>
    public static AttributeProto String(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new AttributeProto
        {
            Name = CheckName(name),
            Type = AttributeProto.Types.AttributeType.String,
            S = Google.Protobuf.ByteString.CopyFromUtf8(value),
        };
    }

    private static string CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return name;
    }
}
