using Microsoft.ML.OnnxRuntime;

namespace GanServe.Onnx.Tests;

/// <summary>Runs serialized models on the ONNX Runtime CPU provider through the OrtValue API.</summary>
internal static class Ort
{
    public static InferenceSession Session(byte[] model)
    {
        // One thread: the models are tiny and the test machine's cores are shared.
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        return new InferenceSession(model, options);
    }

    /// <summary>Runs one float input and returns each requested output's data and shape.</summary>
    public static (float[] Data, long[] Shape)[] Run(
        InferenceSession session, string inputName, float[] input, long[] shape, params string[] outputNames)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [inputName], [value], outputNames);
        return outputs
            .Select(o => (o.GetTensorDataAsSpan<float>().ToArray(), o.GetTensorTypeAndShape().Shape))
            .ToArray();
    }

    public static float[] RandomInput(int count, int seed, double scale = 1.0)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            // Sum of uniforms: roughly Gaussian, enough for test inputs.
            values[i] = (float)(scale * (random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5) * 2.0);
        }

        return values;
    }

    public static double MaxAbsDiff(float[] actual, double[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        var max = 0.0;
        for (var i = 0; i < actual.Length; i++)
        {
            max = Math.Max(max, Math.Abs(actual[i] - expected[i]));
        }

        return max;
    }
}
