using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.Routing.Template;

namespace PeerMetrics.Api.Forwarding;

/// <summary>
/// The /v1 paths this service serves itself, read from the app's endpoints (never a list of its own). The forwarder's
/// catch-all accepts every method, so routing picks it for a served path asked with another method (<c>POST
/// /v1/conferences</c>) instead of answering 405; this tells the forwarder so, and with which methods the path is served.
/// </summary>
internal sealed class ServedRoutes(EndpointDataSource endpoints)
{
    private Snapshot? _snapshot;

    /// <summary>
    /// The methods <paramref name="path"/> is served with when it is a served /v1 path that does not serve
    /// <paramref name="method"/>; null when the path is not served (or routing turned it down for another reason
    /// than its method, e.g. a route constraint), so it may be forwarded.
    /// </summary>
    public IReadOnlyList<string>? AllowedMethodsIfServed(PathString path, string method)
    {
        var routes = Current();
        List<string>? allowed = null;
        foreach (var route in routes.Served)
        {
            if (!route.Matcher.TryMatch(path, new RouteValueDictionary()))
            {
                continue;
            }
            if (route.Methods is null || route.Methods.Contains(method, StringComparer.OrdinalIgnoreCase))
            {
                return null;
            }
            allowed ??= [];
            allowed.AddRange(route.Methods.Where(m => !allowed.Contains(m, StringComparer.OrdinalIgnoreCase)));
        }
        return allowed;
    }

    // Built on first use, when every endpoint is mapped, and again only if the endpoint list is replaced.
    private Snapshot Current()
    {
        var list = endpoints.Endpoints;
        var snapshot = _snapshot;
        if (snapshot is null || !ReferenceEquals(snapshot.Source, list))
        {
            snapshot = new Snapshot(list, [.. list.OfType<RouteEndpoint>().Where(IsServedV1).Select(ToRoute)]);
            _snapshot = snapshot;
        }
        return snapshot;
    }

    private static bool IsServedV1(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetMetadata<UpstreamForwardingMarker>() is null
        && endpoint.RoutePattern.PathSegments is [{ Parts: [RoutePatternLiteralPart { Content: var first }] }, ..]
        && string.Equals(first, "v1", StringComparison.OrdinalIgnoreCase);

    private static ServedRoute ToRoute(RouteEndpoint endpoint)
    {
        var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
        return new ServedRoute(
            new TemplateMatcher(new RouteTemplate(endpoint.RoutePattern), new RouteValueDictionary(endpoint.RoutePattern.Defaults)),
            methods is { Count: > 0 } ? methods : null);
    }

    private sealed record ServedRoute(TemplateMatcher Matcher, IReadOnlyList<string>? Methods);

    private sealed record Snapshot(IReadOnlyList<Endpoint> Source, IReadOnlyList<ServedRoute> Served);
}

/// <summary>Marks the forwarder's own endpoint, so it never counts as a served route.</summary>
internal sealed class UpstreamForwardingMarker
{
    public static readonly UpstreamForwardingMarker Instance = new();
}
