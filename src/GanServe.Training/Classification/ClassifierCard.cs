using System.Text.Json;
using GanServe.Core.Cards;

namespace GanServe.Training.Classification;

/// <summary>
/// The fields a <c>"kind": "classifier"</c> card adds to <see cref="ModelCard"/>. They travel as the card's extra
/// fields, so the shared card type (and the server, which ignores classifiers) needs no classifier-specific members.
/// </summary>
public static class ClassifierCard
{
    /// <summary>Share of the test split classified correctly.</summary>
    public const string TestAccuracyField = "testAccuracy";

    /// <summary>Class names in label order (logit index order).</summary>
    public const string ClassNamesField = "classNames";

    /// <summary>Name of the penultimate-layer features output.</summary>
    public const string FeaturesOutputField = "featuresOutputName";

    /// <summary>Length of the features vector.</summary>
    public const string FeatureDimField = "featureDim";

    /// <summary>Range of the input pixel values.</summary>
    public const string InputRangeField = "inputRange";

    /// <summary>What the parity figure measures (it is relative, unlike the generator's).</summary>
    public const string ParityMeasureField = "parityMeasure";

    /// <summary>Writes the classifier fields into <paramref name="card"/>.</summary>
    public static void Describe(ModelCard card, double testAccuracy, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(card);
        ArgumentNullException.ThrowIfNull(classNames);
        card.Extra ??= [];
        card.Extra[TestAccuracyField] = JsonSerializer.SerializeToElement(Math.Round(testAccuracy, 4));
        card.Extra[ClassNamesField] = JsonSerializer.SerializeToElement(classNames);
        card.Extra[FeaturesOutputField] = JsonSerializer.SerializeToElement(GanServe.Onnx.ClassifierGraph.FeaturesName);
        card.Extra[FeatureDimField] = JsonSerializer.SerializeToElement(FashionClassifier.FeatureDim);
        card.Extra[InputRangeField] = JsonSerializer.SerializeToElement(new[] { -1, 1 });
        card.Extra[ParityMeasureField] = JsonSerializer.SerializeToElement("max |onnx − torch| / max(1, |torch|) over logits and features");
    }

    /// <summary>The card's test accuracy; throws naming the card when it has none.</summary>
    public static double TestAccuracy(ModelCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        return Field(card, TestAccuracyField) is { ValueKind: JsonValueKind.Number } value
            ? value.GetDouble()
            : throw new InvalidDataException($"Classifier card '{card.Name}' has no numeric '{TestAccuracyField}'.");
    }

    /// <summary>The card's class names; throws naming the card when it has none.</summary>
    public static IReadOnlyList<string> ClassNames(ModelCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        if (Field(card, ClassNamesField) is not { ValueKind: JsonValueKind.Array } value)
        {
            throw new InvalidDataException($"Classifier card '{card.Name}' has no '{ClassNamesField}' list.");
        }

        return value.EnumerateArray()
            .Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new InvalidDataException($"Classifier card '{card.Name}': '{ClassNamesField}' holds a non-string."))
            .ToList();
    }

    /// <summary>The features output's name, <c>features</c> unless the card names another.</summary>
    public static string FeaturesOutputName(ModelCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        return Field(card, FeaturesOutputField) is { ValueKind: JsonValueKind.String } value ? value.GetString()! : GanServe.Onnx.ClassifierGraph.FeaturesName;
    }

    private static JsonElement? Field(ModelCard card, string name) =>
        card.Extra is not null && card.Extra.TryGetValue(name, out var value) ? value : null;
}
