using GanServe.Core.Latents;
using GanServe.Training.Gan;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace GanServe.Training.Export;

/// <summary>Runs an exported generator in ONNX Runtime and compares it with TorchSharp's eval-mode output.</summary>
public static class OnnxParity
{
    /// <summary>The batch sizes the exporter checks.</summary>
    public static IReadOnlyList<int> BatchSizes { get; } = [1, 7, 64];

    /// <summary>
    /// Largest absolute difference between ONNX Runtime and TorchSharp over latents of seeds
    /// 100 000 + i at each batch size.
    /// </summary>
    public static double MaxAbsDifference(DcganGenerator generator, byte[] onnxModel, IEnumerable<int> batchSizes)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(batchSizes);
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(onnxModel, options);
        var inputName = session.InputNames[0];
        var outputName = session.OutputNames[0];
        var dim = generator.LatentDim;
        var wasTraining = generator.training;
        generator.eval();
        double worst = 0;
        try
        {
            foreach (var batch in batchSizes)
            {
                var latents = new float[batch * dim];
                for (var i = 0; i < batch; i++)
                {
                    SeedLatents.Fill((uint)(100_000 + i), latents.AsSpan(i * dim, dim));
                }

                float[] expected;
                using (no_grad())
                using (var scope = NewDisposeScope())
                {
                    expected = generator.forward(tensor(latents, [batch, dim])).data<float>().ToArray();
                }

                using var input = OrtValue.CreateTensorValueFromMemory(latents, [batch, dim]);
                using var runOptions = new RunOptions();
                using var outputs = session.Run(runOptions, [inputName], [input], [outputName]);
                var actual = outputs[0].GetTensorDataAsSpan<float>();
                if (actual.Length != expected.Length)
                {
                    throw new InvalidOperationException($"ONNX output has {actual.Length} values at batch {batch}; TorchSharp gave {expected.Length}.");
                }

                for (var i = 0; i < actual.Length; i++)
                {
                    worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]));
                }
            }
        }
        finally
        {
            generator.train(wasTraining);
        }

        return worst;
    }
}
