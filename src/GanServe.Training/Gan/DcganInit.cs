using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GanServe.Training.Gan;

/// <summary>The DCGAN paper's initialisation: weights N(0, 0.02), BatchNorm scales N(1, 0.02), biases 0.</summary>
public static class DcganInit
{
    /// <summary>Initialises every convolution, linear and BatchNorm layer of <paramref name="module"/>.</summary>
    public static void Apply(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var noGrad = no_grad();
        foreach (var (_, child) in module.named_modules())
        {
            switch (child)
            {
                case Conv2d conv:
                    nn.init.normal_(conv.weight, 0.0, 0.02);
                    if (conv.bias is not null)
                    {
                        nn.init.zeros_(conv.bias);
                    }

                    break;
                case ConvTranspose2d deconv:
                    nn.init.normal_(deconv.weight, 0.0, 0.02);
                    if (deconv.bias is not null)
                    {
                        nn.init.zeros_(deconv.bias);
                    }

                    break;
                case Linear linear:
                    nn.init.normal_(linear.weight, 0.0, 0.02);
                    if (linear.bias is not null)
                    {
                        nn.init.zeros_(linear.bias);
                    }

                    break;
                case BatchNorm2d norm:
                    nn.init.normal_(norm.weight, 1.0, 0.02);
                    nn.init.zeros_(norm.bias);
                    break;
            }
        }
    }
}
