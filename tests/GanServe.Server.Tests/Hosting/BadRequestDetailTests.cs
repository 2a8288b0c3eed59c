using GanServe.Server.Hosting;

namespace GanServe.Server.Tests.Hosting;

public sealed class BadRequestDetailTests
{
    [Theory]
    [InlineData("Failed to bind parameter \"Nullable<int> frames\" from \"abc\".", "Parameter 'frames' ('abc') must be a whole number.")]
    [InlineData("Failed to bind parameter \"int scale\" from \"1.5\".", "Parameter 'scale' ('1.5') must be a whole number.")]
    [InlineData("Failed to bind parameter \"Nullable<float> truncation\" from \"x\".", "Parameter 'truncation' ('x') must be a number.")]
    [InlineData("Failed to bind parameter \"Nullable<bool> live\" from \"yes\".", "Parameter 'live' ('yes') must be true or false.")]
    [InlineData("Failed to bind parameter \"Guid id\" from \"\\\"q\\\"\".", "Parameter 'id' ('\\\"q\\\"') must be a valid value.")]
    [InlineData("Request body too large. The max request body size is 100 bytes.", "Request body too large. The max request body size is 100 bytes.")]
    [InlineData("Failed to bind parameter", "Failed to bind parameter")]
    public void Detail_NamesTheParameterAndWhatItTakes_OtherMessagesUnchanged(string message, string expected)
    {
        Assert.Equal(expected, BadRequestExceptionHandler.Detail(message));
    }
}
