namespace PeerMetrics.Api;

/// <summary>The exit codes of the Api executable's commands (<c>seed</c>, <c>rollups</c>), which every command returns.</summary>
public static class CommandExit
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
}
