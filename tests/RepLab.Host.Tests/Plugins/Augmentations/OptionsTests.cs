using System.ComponentModel.DataAnnotations;
using FluentAssertions;
using Xunit;
using static RepLab.Host.Tests.Plugins.Augmentations.AugmentationKit;

namespace RepLab.Host.Tests.Plugins.Augmentations;

/// <summary>Options validation that several augmentations share: inconsistent ranges and out-of-range values.</summary>
public class OptionsTests
{
    [Theory]
    [InlineData("normalize", "Std", new[] { 0.0 }, "*std*")]
    [InlineData("normalize", "Std", new[] { 0.2, 0.3 }, "*mean has 3 entries*", "Mean", new[] { 0.1, 0.2, 0.3 })]
    [InlineData("gaussian-blur", "Sigma", new[] { 2.0, 1.0 }, "*sigma*")]
    [InlineData("gaussian-blur", "Sigma", new[] { 0.0, 1.0 }, "*sigma*")]
    [InlineData("random-erasing", "Scale", new[] { 0.5, 1.5 }, "*scale*")]
    [InlineData("random-erasing", "Ratio", new[] { 2.0, 1.0 }, "*ratio*")]
    public void Options_reject_inconsistent_ranges(string name, string key, double[] value, string message, string? otherKey = null, double[]? other = null)
    {
        var settings = new List<(string, object)> { (key, value) };
        if (otherKey is not null) settings.Add((otherKey, other!));
        var options = Options(name, [.. settings]);
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true).Should().BeFalse();
        results.Select(r => r.ErrorMessage).Should().ContainMatch(message);
    }

    [Theory]
    [InlineData("color-jitter", "Hue", 0.6)]
    [InlineData("color-jitter", "Brightness", -0.1)]
    [InlineData("solarize", "Threshold", 1.5)]
    [InlineData("random-erasing", "Value", 2.0)]
    [InlineData("gaussian-blur", "KernelFraction", 0.0)]
    public void Options_reject_out_of_range_values(string name, string key, double value)
    {
        var options = Options(name, (key, value));
        Validator.TryValidateObject(options, new ValidationContext(options), new List<ValidationResult>(), validateAllProperties: true).Should().BeFalse();
    }
}
