using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace GanServe.Onnx;

/// <summary>Assembles an ONNX graph (initializers, nodes, typed inputs and outputs) into a <see cref="ModelProto"/>.</summary>
/// <remarks>
/// Nodes must be added in execution order: every input has to exist when its consumer is added, which keeps the
/// graph topologically sorted as ONNX requires and reports wiring mistakes at the line that makes them.
/// </remarks>
public sealed partial class OnnxGraphBuilder
{
    /// <summary>The default-domain opset the exporters target.</summary>
    public const int DefaultOpset = 17;

    /// <summary>IR version 8 is the first to pair with opset 17 and is read by every ONNX Runtime since 1.10.</summary>
    public const long DefaultIrVersion = 8;

    private readonly GraphProto _graph;
    private readonly Dictionary<string, long[]> _initializerShapes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _outputs = new(StringComparer.Ordinal);
    private readonly List<KeyValuePair<string, string>> _metadata = [];
    private int _nameCounter;

    /// <summary>Starts an empty graph.</summary>
    public OnnxGraphBuilder(string graphName = "graph", int opset = DefaultOpset)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(graphName);
        ArgumentOutOfRangeException.ThrowIfLessThan(opset, 1);
        _graph = new GraphProto { Name = graphName };
        Opset = opset;
    }

    /// <summary>The default-domain opset version written into the model.</summary>
    public int Opset { get; }

    /// <summary>The IR version written into the model.</summary>
    public long IrVersion { get; init; } = DefaultIrVersion;

    /// <summary>The producer name written into the model.</summary>
    public string ProducerName { get; init; } = "GanServe";

    /// <summary>True when <paramref name="name"/> is already a value in the graph (input, initializer or node output).</summary>
    public bool Contains(string name) => _values.Contains(name);

    /// <summary>The shape of an initializer added earlier, or null when <paramref name="name"/> is not an initializer.</summary>
    public IReadOnlyList<long>? InitializerShape(string name) =>
        _initializerShapes.TryGetValue(name, out var shape) ? shape : null;

    /// <summary>A value name starting with <paramref name="prefix"/> that is not used yet.</summary>
    public string UniqueName(string prefix)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        string candidate;
        do
        {
            candidate = $"{prefix}_{_nameCounter++}";
        }
        while (_values.Contains(candidate));

        return candidate;
    }

    /// <summary>Adds an FP32 constant tensor with row-major <paramref name="data"/>; returns its name.</summary>
    public string AddInitializer(string name, ReadOnlySpan<float> data, params ReadOnlySpan<long> dims)
    {
        var tensor = NewInitializer(name, TensorProto.Types.DataType.Float, data.Length, dims);
        if (BitConverter.IsLittleEndian)
        {
            // raw_data is defined as little-endian; on such hosts the float bytes can be copied as-is.
            tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data));
        }
        else
        {
            foreach (var value in data)
            {
                tensor.FloatData.Add(value);
            }
        }

        return Register(tensor, dims);
    }

    /// <summary>Adds an INT64 constant tensor (shapes, axes); returns its name.</summary>
    public string AddInt64Initializer(string name, ReadOnlySpan<long> data, params ReadOnlySpan<long> dims)
    {
        var tensor = NewInitializer(name, TensorProto.Types.DataType.Int64, data.Length, dims);
        foreach (var value in data)
        {
            tensor.Int64Data.Add(value);
        }

        return Register(tensor, dims);
    }

    /// <summary>Declares an FP32 graph input.</summary>
    public void AddInput(string name, params ReadOnlySpan<OnnxDim> shape) =>
        AddInput(name, TensorProto.Types.DataType.Float, shape);

    /// <summary>Declares a graph input of the given element type.</summary>
    public void AddInput(string name, TensorProto.Types.DataType elementType, params ReadOnlySpan<OnnxDim> shape)
    {
        DefineValue(name);
        _graph.Input.Add(ValueInfo(name, elementType, shape));
    }

    /// <summary>Declares an FP32 graph output; the value may be produced by a node added later.</summary>
    public void AddOutput(string name, params ReadOnlySpan<OnnxDim> shape) =>
        AddOutput(name, TensorProto.Types.DataType.Float, shape);

    /// <summary>Declares a graph output of the given element type; the value may be produced by a node added later.</summary>
    public void AddOutput(string name, TensorProto.Types.DataType elementType, params ReadOnlySpan<OnnxDim> shape)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!_outputs.Add(name))
        {
            throw new InvalidOperationException($"Graph output '{name}' is declared twice.");
        }

        _graph.Output.Add(ValueInfo(name, elementType, shape));
    }

    /// <summary>Adds a default-domain node. An empty input name marks an omitted optional input.</summary>
    public NodeProto AddNode(
        string opType,
        IReadOnlyList<string> inputs,
        IReadOnlyList<string> outputs,
        params ReadOnlySpan<AttributeProto> attributes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        if (outputs.Count == 0)
        {
            throw new ArgumentException($"A {opType} node needs at least one output.", nameof(outputs));
        }

        foreach (var input in inputs)
        {
            ArgumentNullException.ThrowIfNull(input, nameof(inputs));
            if (input.Length > 0 && !_values.Contains(input))
            {
                throw new InvalidOperationException($"{opType} reads '{input}', which no input, initializer or earlier node defines.");
            }
        }

        foreach (var output in outputs)
        {
            DefineValue(output);
        }

        // Values are unique, so naming the node after its first output keeps node names unique and readable.
        var node = new NodeProto { OpType = opType, Name = outputs[0] };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        foreach (var attribute in attributes)
        {
            ArgumentNullException.ThrowIfNull(attribute, nameof(attributes));
            node.Attribute.Add(attribute);
        }

        _graph.Node.Add(node);
        return node;
    }

    /// <summary>Adds a key/value pair to the model's metadata_props.</summary>
    public void AddMetadata(string key, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentNullException.ThrowIfNull(value);
        _metadata.Add(new KeyValuePair<string, string>(key, value));
    }

    /// <summary>Produces the model; the builder stays usable and later changes do not affect the result.</summary>
    public ModelProto Build()
    {
        if (_graph.Output.Count == 0)
        {
            throw new InvalidOperationException("The graph declares no outputs.");
        }

        foreach (var output in _graph.Output)
        {
            if (!_values.Contains(output.Name))
            {
                throw new InvalidOperationException($"Graph output '{output.Name}' is never produced.");
            }
        }

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = ProducerName,
            Graph = _graph.Clone(),
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = Opset });
        foreach (var (key, value) in _metadata)
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        return model;
    }

    /// <summary>The serialized model, ready for an inference session.</summary>
    public byte[] ToBytes() => Build().ToByteArray();

    /// <summary>Writes the serialized model to <paramref name="path"/>.</summary>
    public void Save(string path) => SaveModel(Build(), path);

    /// <summary>Writes a serialized model to <paramref name="path"/>, creating its directory if needed.</summary>
    public static void SaveModel(ModelProto model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        using var stream = File.Create(path);
        model.WriteTo(stream);
    }

    private static TensorProto NewInitializer(
        string name, TensorProto.Types.DataType type, int length, ReadOnlySpan<long> dims)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        long count = 1;
        foreach (var dim in dims)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(dim, nameof(dims));
            count *= dim;
        }

        if (count != length)
        {
            throw new ArgumentException(
                $"Initializer '{name}' has {length} values but shape [{string.Join(", ", dims.ToArray())}] holds {count}.");
        }

        var tensor = new TensorProto { Name = name, DataType = (int)type };
        foreach (var dim in dims)
        {
            tensor.Dims.Add(dim);
        }

        return tensor;
    }

    private string Register(TensorProto tensor, ReadOnlySpan<long> dims)
    {
        DefineValue(tensor.Name);
        _initializerShapes[tensor.Name] = dims.ToArray();
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    private void DefineValue(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!_values.Add(name))
        {
            throw new InvalidOperationException($"Value '{name}' is already defined; ONNX values are assigned once.");
        }
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType elementType, ReadOnlySpan<OnnxDim> shape)
    {
        var tensorShape = new TensorShapeProto();
        foreach (var dim in shape)
        {
            var dimension = new TensorShapeProto.Types.Dimension();
            if (dim.Symbol is { } symbol)
            {
                dimension.DimParam = symbol;
            }
            else if (dim.Value is { } value)
            {
                dimension.DimValue = value;
            }

            tensorShape.Dim.Add(dimension);
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = tensorShape },
            },
        };
    }
}
