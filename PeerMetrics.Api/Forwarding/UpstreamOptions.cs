using Microsoft.Extensions.Options;

namespace PeerMetrics.Api.Forwarding;

/// <summary>
/// <c>Api:Upstream</c>: the base URL of the peermetrics API that answers the /v1 routes this service does not
/// serve, e.g. <c>http://django:8000</c> or, behind a path prefix, <c>http://host/api</c>. Unset: those routes are
/// 404 <c>not_found</c>.
/// </summary>
public sealed class UpstreamOptions
{
    public const string SectionName = "Api";

    public string? Upstream { get; set; }

    /// <summary>
    /// The forwarding destination prefix: the upstream URL without a trailing slash (the request's path and query
    /// are appended to it unchanged), or null when no upstream is configured.
    /// </summary>
    internal string? DestinationPrefix =>
        string.IsNullOrWhiteSpace(Upstream) ? null : Upstream.Trim().TrimEnd('/');
}

/// <summary>Checked at start (ValidateOnStart): a set upstream is an absolute http(s) URL without query or fragment.</summary>
internal sealed class UpstreamOptionsValidator : IValidateOptions<UpstreamOptions>
{
    public ValidateOptionsResult Validate(string? name, UpstreamOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Upstream))
        {
            return ValidateOptionsResult.Success;
        }
        var value = options.Upstream.Trim();
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host)
            || uri.Query.Length > 0
            || uri.Fragment.Length > 0)
        {
            return ValidateOptionsResult.Fail(
                $"Api:Upstream must be an absolute http or https base URL of the peermetrics API without query or fragment, "
                + $"e.g. http://django:8000 or http://host/api; got '{value}'.");
        }
        return ValidateOptionsResult.Success;
    }
}
