using static TorchSharp.torch;
var t = randn(3, 4);
Console.WriteLine(t.sum().item<float>());
