namespace GanServe.Onnx.Tests;

/// <summary>An NCHW tensor in double precision for the naive reference implementations.</summary>
internal sealed record Nchw(double[] Data, int N, int C, int H, int W)
{
    public static Nchw Zeros(int n, int c, int h, int w) => new(new double[n * c * h * w], n, c, h, w);

    public int Index(int n, int c, int h, int w) => (((((n * C) + c) * H) + h) * W) + w;
}

/// <summary>Straightforward loop implementations of the torch layers, written for clarity rather than speed.</summary>
internal static class ReferenceOps
{
    /// <summary>y[n, o] = sum_i x[n, i] * W[o, i] + b[o] (torch.nn.Linear).</summary>
    public static double[] Linear(double[] x, int batch, DenseWeights dense)
    {
        var y = new double[batch * dense.OutFeatures];
        for (var n = 0; n < batch; n++)
        {
            for (var o = 0; o < dense.OutFeatures; o++)
            {
                double sum = dense.Bias?[o] ?? 0f;
                for (var i = 0; i < dense.InFeatures; i++)
                {
                    sum += x[(n * dense.InFeatures) + i] * dense.Weight[(o * dense.InFeatures) + i];
                }

                y[(n * dense.OutFeatures) + o] = sum;
            }
        }

        return y;
    }

    /// <summary>Inference batch norm applied explicitly: (x - mean) / sqrt(var + eps) * gamma + beta.</summary>
    public static Nchw BatchNorm(Nchw x, BatchNormWeights norm)
    {
        var y = Nchw.Zeros(x.N, x.C, x.H, x.W);
        for (var n = 0; n < x.N; n++)
        {
            for (var c = 0; c < x.C; c++)
            {
                var std = Math.Sqrt((double)norm.RunningVar[c] + norm.Epsilon);
                for (var h = 0; h < x.H; h++)
                {
                    for (var w = 0; w < x.W; w++)
                    {
                        var i = x.Index(n, c, h, w);
                        y.Data[i] = ((x.Data[i] - norm.RunningMean[c]) / std * norm.Gamma[c]) + norm.Beta[c];
                    }
                }
            }
        }

        return y;
    }

    public static Nchw Map(Nchw x, Func<double, double> f)
    {
        var data = new double[x.Data.Length];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = f(x.Data[i]);
        }

        return x with { Data = data };
    }

    public static double[] Map(double[] x, Func<double, double> f) => Array.ConvertAll(x, v => f(v));

    public static double Relu(double v) => Math.Max(v, 0);

    /// <summary>
    /// torch.nn.ConvTranspose2d as a scatter: input pixel (ih, iw) adds x * W[i, o, kh, kw] to output pixel
    /// (ih * stride - padding + kh, iw * stride - padding + kw) when that pixel lies inside the output.
    /// </summary>
    public static Nchw ConvTranspose(Nchw x, ConvTransposeWeights conv)
    {
        var (k, stride, padding, outChannels) = (conv.Kernel, conv.Stride, conv.Padding, conv.OutChannels);
        var (inChannels, inH, inW) = (x.C, x.H, x.W);
        var outH = ((inH - 1) * stride) - (2 * padding) + k;
        var outW = ((inW - 1) * stride) - (2 * padding) + k;
        var y = Nchw.Zeros(x.N, outChannels, outH, outW);

        // Same scatter, ordered so the innermost loop runs along an input row with its in-range span precomputed:
        // at batch 64 the DCGAN reference is ~400M multiply-adds, and per-tap bounds checks made it take seconds.
        var input = x.Data;
        var output = y.Data;
        var plane = outH * outW;
        for (var n = 0; n < x.N; n++)
        {
            for (var o = 0; o < outChannels; o++)
            {
                Array.Fill(output, conv.Bias?[o] ?? 0.0, ((n * outChannels) + o) * plane, plane);
            }

            for (var i = 0; i < inChannels; i++)
            {
                var inPlane = ((n * inChannels) + i) * inH * inW;
                for (var o = 0; o < outChannels; o++)
                {
                    var outPlane = ((n * outChannels) + o) * plane;
                    for (var kh = 0; kh < k; kh++)
                    {
                        for (var kw = 0; kw < k; kw++)
                        {
                            double tap = conv.Weight[((((i * outChannels) + o) * k) + kh) * k + kw];
                            var (iwFirst, iwEnd) = InRange(inW, outW, stride, kw - padding);
                            for (var ih = 0; ih < inH; ih++)
                            {
                                var oh = (ih * stride) - padding + kh;
                                if (oh < 0 || oh >= outH)
                                {
                                    continue;
                                }

                                var inRow = inPlane + (ih * inW);
                                var outRow = outPlane + (oh * outW) + kw - padding;
                                for (var iw = iwFirst; iw < iwEnd; iw++)
                                {
                                    output[outRow + (iw * stride)] += tap * input[inRow + iw];
                                }
                            }
                        }
                    }
                }
            }
        }

        return y;
    }

    /// <summary>The input indices [first, end) whose output index in * stride + offset lies in [0, outSize).</summary>
    private static (int First, int End) InRange(int inSize, int outSize, int stride, int offset)
    {
        var first = 0;
        while (first < inSize && (first * stride) + offset < 0)
        {
            first++;
        }

        var end = inSize;
        while (end > first && ((end - 1) * stride) + offset >= outSize)
        {
            end--;
        }

        return (first, end);
    }

    /// <summary>torch.nn.Conv2d (cross-correlation, zero padding) as a gather.</summary>
    public static Nchw Conv(Nchw x, Conv2dWeights conv)
    {
        var k = conv.Kernel;
        var outH = ((x.H + (2 * conv.Padding) - k) / conv.Stride) + 1;
        var outW = ((x.W + (2 * conv.Padding) - k) / conv.Stride) + 1;
        var y = Nchw.Zeros(x.N, conv.OutChannels, outH, outW);
        for (var n = 0; n < x.N; n++)
        {
            for (var o = 0; o < conv.OutChannels; o++)
            {
                for (var oh = 0; oh < outH; oh++)
                {
                    for (var ow = 0; ow < outW; ow++)
                    {
                        double sum = conv.Bias?[o] ?? 0f;
                        for (var i = 0; i < conv.InChannels; i++)
                        {
                            for (var kh = 0; kh < k; kh++)
                            {
                                var ih = (oh * conv.Stride) - conv.Padding + kh;
                                for (var kw = 0; kw < k; kw++)
                                {
                                    var iw = (ow * conv.Stride) - conv.Padding + kw;
                                    if (ih >= 0 && ih < x.H && iw >= 0 && iw < x.W)
                                    {
                                        sum += x.Data[x.Index(n, i, ih, iw)] * conv.Weight[((((o * conv.InChannels) + i) * k) + kh) * k + kw];
                                    }
                                }
                            }
                        }

                        y.Data[y.Index(n, o, oh, ow)] = sum;
                    }
                }
            }
        }

        return y;
    }

    /// <summary>Max or average pooling with floor output size; padded cells are skipped for max and counted as zeros for average when asked.</summary>
    public static Nchw Pool(Nchw x, int kernel, int stride, int padding, bool max, bool countIncludePad)
    {
        var outH = ((x.H + (2 * padding) - kernel) / stride) + 1;
        var outW = ((x.W + (2 * padding) - kernel) / stride) + 1;
        var y = Nchw.Zeros(x.N, x.C, outH, outW);
        for (var n = 0; n < x.N; n++)
        {
            for (var c = 0; c < x.C; c++)
            {
                for (var oh = 0; oh < outH; oh++)
                {
                    for (var ow = 0; ow < outW; ow++)
                    {
                        var best = double.NegativeInfinity;
                        var sum = 0.0;
                        var count = 0;
                        for (var kh = 0; kh < kernel; kh++)
                        {
                            for (var kw = 0; kw < kernel; kw++)
                            {
                                var ih = (oh * stride) - padding + kh;
                                var iw = (ow * stride) - padding + kw;
                                if (ih >= 0 && ih < x.H && iw >= 0 && iw < x.W)
                                {
                                    var v = x.Data[x.Index(n, c, ih, iw)];
                                    best = Math.Max(best, v);
                                    sum += v;
                                    count++;
                                }
                            }
                        }

                        y.Data[y.Index(n, c, oh, ow)] = max ? best : sum / (countIncludePad ? kernel * kernel : count);
                    }
                }
            }
        }

        return y;
    }
}
