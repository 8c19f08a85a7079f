using Npgsql;

namespace PeerMetrics.Api.Data;

/// <summary>
/// Tells a database that cannot be reached (the service is unavailable; retry later, serve the last good value)
/// from a database error that is a bug (bad SQL, a missing column: retrying will not help).
/// </summary>
public static class DatabaseFailure
{
    // Class 08: connection exceptions. 57P01–57P03: the server is shutting down or starting. 53300: too many
    // connections. 57014: the statement was cancelled by a timeout.
    private static readonly string[] UnreachableStates = ["57P01", "57P02", "57P03", "53300", "57014"];

    public static bool IsUnreachable(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgresException postgres:
                    return postgres.SqlState.StartsWith("08", StringComparison.Ordinal) || UnreachableStates.Contains(postgres.SqlState);
                // Npgsql's own exceptions (not raised by the server) are connection failures: refused, reset, closed.
                case NpgsqlException:
                case TimeoutException:
                case System.Net.Sockets.SocketException:
                    return true;
            }
        }
        return false;
    }

    /// <summary>
    /// True when the statement ran past its timeout (<c>Database:StatementTimeout</c>): Npgsql's command timeout,
    /// or the server's cancellation (57014). Answered like an outage (503), never counted as a bug.
    /// </summary>
    public static bool IsTimeout(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is TimeoutException || current is PostgresException { SqlState: "57014" })
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The SQLSTATE of a server-side error, or null when the server raised none.</summary>
    public static string? SqlState(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is PostgresException postgres)
            {
                return postgres.SqlState;
            }
        }
        return null;
    }
}
