namespace GanServe.Cli;

/// <summary>The process exit codes of <c>ganserve</c>.</summary>
public static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Success = 0;

    /// <summary>The server answered with an error (after retries).</summary>
    public const int ServerError = 1;

    /// <summary>The command line is wrong (unknown command, bad seeds, missing --out...).</summary>
    public const int Usage = 2;

    /// <summary>The server could not be reached or did not answer in time.</summary>
    public const int Unreachable = 3;

    /// <summary><c>health</c>: the server is alive but not ready.</summary>
    public const int NotReady = 4;

    /// <summary>Interrupted (Ctrl+C).</summary>
    public const int Cancelled = 130;
}
