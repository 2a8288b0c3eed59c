using GanServe.Server.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace GanServe.Server.Inference;

/// <summary>Provider names as the API reports them.</summary>
public static class ProviderNames
{
    /// <summary>The CPU execution provider.</summary>
    public const string Cpu = "CPU";

    /// <summary>The CUDA execution provider.</summary>
    public const string Cuda = "CUDA";
}

/// <summary>The session options a generator gets, and which provider they ended up with.</summary>
/// <param name="Options">Session options, owned by the caller.</param>
/// <param name="Provider">CPU or CUDA.</param>
/// <param name="Warning">Why CUDA was not used although Auto asked for it; null otherwise.</param>
public sealed record SessionSetup(SessionOptions Options, string Provider, string? Warning);

/// <summary>
/// Builds ONNX Runtime session options from <see cref="InferenceOptions"/>: threads, and the CUDA
/// provider with TF32 off unless asked for, falling back to CPU under Auto.
/// </summary>
public sealed class ExecutionProviders(IOptions<GanServeOptions> options)
{
    private readonly InferenceOptions _options = options.Value.Inference;

    /// <summary>The intra-op thread count used: the configured value, or the CPUs the process may use.</summary>
    public int IntraOpThreads => _options.IntraOpThreads > 0 ? _options.IntraOpThreads : Environment.ProcessorCount;

    /// <summary>Creates session options; throws <see cref="InvalidOperationException"/> when Cuda is required and does not load.</summary>
    public SessionSetup CreateSessionOptions()
    {
        var session = new SessionOptions
        {
            IntraOpNumThreads = IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };

        Spinning(session);
        if (_options.Provider == ExecutionProviderChoice.Cpu)
        {
            return new SessionSetup(session, ProviderNames.Cpu, null);
        }

        try
        {
            using var cuda = new OrtCUDAProviderOptions();
            cuda.UpdateOptions(new Dictionary<string, string>
            {
                ["device_id"] = _options.DeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["use_tf32"] = _options.UseTf32 ? "1" : "0",
            });
            session.AppendExecutionProvider_CUDA(cuda);
            return new SessionSetup(session, ProviderNames.Cuda, null);
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
        {
            if (_options.Provider == ExecutionProviderChoice.Cuda)
            {
                session.Dispose();
                throw new InvalidOperationException(
                    $"GanServe:Inference:Provider is Cuda but the CUDA execution provider did not load (device {_options.DeviceId}): {FirstLine(ex.Message)}", ex);
            }

            // Auto: the CPU options are still usable; the provider list is unchanged when appending fails.
            session.Dispose();
            var cpu = new SessionOptions
            {
                IntraOpNumThreads = IntraOpThreads,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            };
            Spinning(cpu);
            return new SessionSetup(cpu, ProviderNames.Cpu, $"CUDA unavailable, running on CPU: {FirstLine(ex.Message)}");
        }
    }

    private void Spinning(SessionOptions session)
    {
        if (!_options.AllowSpinning)
        {
            session.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        }
    }

    /// <summary>Fails fast at start when Cuda is required but cannot load.</summary>
    public void EnsureRequiredProviderLoads()
    {
        if (_options.Provider != ExecutionProviderChoice.Cuda)
        {
            return;
        }

        using var setup = CreateSessionOptions().Options;
    }

    private static string FirstLine(string message)
    {
        // ORT prefixes the useful part ("Failed to load library ... with error: ...") with its source location.
        var fail = message.LastIndexOf("FAIL : ", StringComparison.Ordinal);
        var text = fail < 0 ? message : message[(fail + 7)..];
        var end = text.AsSpan().IndexOfAny('\r', '\n');
        return end < 0 ? text : text[..end];
    }
}
