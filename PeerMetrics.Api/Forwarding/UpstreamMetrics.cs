using System.Diagnostics.Metrics;

namespace PeerMetrics.Api.Forwarding;

/// <summary>
/// Forwarding telemetry with bounded tags only: the route with its ids replaced by <c>{id}</c> (or
/// <see cref="UnknownRoute"/> when the upstream answered 404), and the status code. Never a query string, an id or
/// a cookie.
/// </summary>
public sealed class UpstreamMetrics
{
    public const string MeterName = "PeerMetrics.Api.Upstream";
    public const string RequestsName = "peermetrics.upstream.requests";

    private readonly Counter<long> _requests;

    public UpstreamMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>(RequestsName, unit: "{request}",
            description: "Requests forwarded to the upstream peermetrics API, by route (ids as {id}) and answered status code.");
    }

    /// <summary>The route tag of a path the upstream does not know: any client can invent such paths.</summary>
    public const string UnknownRoute = "{unknown}";

    public void Forwarded(PathString path, int status) =>
        _requests.Add(1, new("route", status == StatusCodes.Status404NotFound ? UnknownRoute : Route(path)), new("status", status));

    /// <summary>
    /// The path with every segment that is a UUID or all digits replaced by <c>{id}</c>:
    /// <c>/v1/apps/3fa85f64-5717-4562-b3fc-2c963f66afa6/</c> → <c>/v1/apps/{id}/</c>.
    /// </summary>
    public static string Route(PathString path)
    {
        var segments = (path.Value ?? "/").Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment.Length > 0 && (segment.All(char.IsAsciiDigit) || Guid.TryParse(segment, out _)))
            {
                segments[i] = "{id}";
            }
        }
        return string.Join('/', segments);
    }
}
