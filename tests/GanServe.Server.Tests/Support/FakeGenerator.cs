using System.Threading.Channels;
using GanServe.Server.Inference;

namespace GanServe.Server.Tests.Support;

/// <summary>
/// A deterministic generator: every output value of an image depends only on that image's latent
/// (tanh of one latent entry), so results cannot depend on the batch. Tests can hold a call until
/// released, make calls fail, and see every batch that ran.
/// </summary>
internal sealed class FakeGenerator(int latentDim, ImageShape shape) : IImageGenerator
{
    private readonly Lock _lock = new();
    private readonly List<float[]> _batches = [];
    private readonly Channel<int> _started = Channel.CreateUnbounded<int>();
    private volatile TaskCompletionSource? _hold;
    private volatile bool _fail;

    public int LatentDim { get; } = latentDim;

    public ImageShape Shape { get; } = shape;

    public string Provider => "FAKE";

    /// <summary>Batch sizes run so far, in order.</summary>
    public IReadOnlyList<int> BatchSizes
    {
        get
        {
            lock (_lock)
            {
                return [.. _batches.Select(b => b.Length / LatentDim)];
            }
        }
    }

    /// <summary>Every latent row that was run (padding included).</summary>
    public IReadOnlyList<float[]> RowsRun
    {
        get
        {
            lock (_lock)
            {
                return [.. _batches.SelectMany(b => b.Chunk(LatentDim))];
            }
        }
    }

    /// <summary>Makes later calls wait until <see cref="Release"/>.</summary>
    public void Hold() => _hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets held and later calls run.</summary>
    public void Release()
    {
        var hold = _hold;
        _hold = null;
        hold?.TrySetResult();
    }

    public void FailCalls(bool fail) => _fail = fail;

    /// <summary>A real delay every call takes (a slow engine for overload tests); zero by default.</summary>
    public TimeSpan Delay { get; set; }

    public void ClearLog()
    {
        lock (_lock)
        {
            _batches.Clear();
        }

        while (_started.Reader.TryRead(out _))
        {
        }
    }

    /// <summary>Completes with the batch size when the next call starts.</summary>
    public ValueTask<int> NextCallAsync(CancellationToken cancellationToken = default) => _started.Reader.ReadAsync(cancellationToken);

    public async ValueTask RunAsync(ReadOnlyMemory<float> latents, int batchSize, Memory<float> output, CancellationToken cancellationToken)
    {
        var rows = latents[..(batchSize * LatentDim)].ToArray();
        lock (_lock)
        {
            _batches.Add(rows);
        }

        _started.Writer.TryWrite(batchSize);
        if (_hold is { } hold)
        {
            await hold.Task.WaitAsync(cancellationToken);
        }

        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, cancellationToken);
        }

        if (_fail)
        {
            throw new InvalidOperationException("Injected failure.");
        }

        Fill(rows, batchSize, output.Span);
    }

    /// <summary>What the fake makes of one latent.</summary>
    public float[] Expected(ReadOnlySpan<float> latent)
    {
        var image = new float[Shape.Values];
        Fill(latent.ToArray(), 1, image);
        return image;
    }

    public void Dispose()
    {
    }

    private void Fill(float[] rows, int batchSize, Span<float> output)
    {
        var values = Shape.Values;
        for (var i = 0; i < batchSize; i++)
        {
            for (var k = 0; k < values; k++)
            {
                output[(i * values) + k] = MathF.Tanh(rows[(i * LatentDim) + (k % LatentDim)]);
            }
        }
    }
}

/// <summary>Builds <see cref="FakeGenerator"/>s from the card's shape; optionally holds warm-up.</summary>
internal sealed class FakeGeneratorFactory : IImageGeneratorFactory
{
    private readonly Dictionary<string, TaskCompletionSource<FakeGenerator>> _generators = [];
    private readonly Lock _lock = new();

    /// <summary>When true, generators start held, so warm-up (and readiness) waits for a release.</summary>
    public bool HoldWarmUp { get; init; }

    /// <summary>The real delay each generator's calls take (see <see cref="FakeGenerator.Delay"/>).</summary>
    public TimeSpan Delay { get; init; }

    public FakeGenerator this[string model]
    {
        get
        {
            lock (_lock)
            {
                return _generators.TryGetValue(model, out var created) && created.Task.IsCompleted
                    ? created.Task.Result
                    : throw new KeyNotFoundException($"No generator has been created for '{model}' yet.");
            }
        }
    }

    /// <summary>Completes with the model's generator once the loader has created it.</summary>
    public Task<FakeGenerator> CreatedAsync(string model)
    {
        lock (_lock)
        {
            return Slot(model).Task;
        }
    }

    public IImageGenerator Create(GeneratorLoadContext context)
    {
        var card = context.Card;
        var generator = new FakeGenerator(card.LatentDim ?? 8, new ImageShape(card.Channels ?? 1, card.Height ?? 4, card.Width ?? 4)) { Delay = Delay };
        if (HoldWarmUp)
        {
            generator.Hold();
        }

        lock (_lock)
        {
            Slot(context.ModelName).TrySetResult(generator);
        }

        return generator;
    }

    private TaskCompletionSource<FakeGenerator> Slot(string model)
    {
        if (!_generators.TryGetValue(model, out var slot))
        {
            slot = new TaskCompletionSource<FakeGenerator>(TaskCreationOptions.RunContinuationsAsynchronously);
            _generators[model] = slot;
        }

        return slot;
    }
}
