using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Net.Http.Headers;

namespace PeerMetrics.Api.Auth;

/// <summary>
/// Remembers tokens that passed full validation, so a dashboard's repeated requests skip re-validating the
/// same token (a third of a cache hit's CPU time). The key is the exact token string: only a byte-identical
/// token that was itself validated is accepted, and never past its own expiry or a few minutes, whichever
/// comes first. Bounded in size.
/// </summary>
public sealed class ValidatedTokenCache : IDisposable
{
    private static readonly TimeSpan MaximumAge = TimeSpan.FromMinutes(5);

    private readonly MemoryCache _principals = new(new MemoryCacheOptions { SizeLimit = 10_000 });
    private readonly TimeProvider _time;

    public ValidatedTokenCache(TimeProvider time) => _time = time;

    /// <summary>JwtBearer <c>OnMessageReceived</c>: a known token authenticates without validation.</summary>
    public Task OnMessageReceived(MessageReceivedContext context)
    {
        if (BearerToken(context.Request) is { } token && _principals.TryGetValue(token, out ClaimsPrincipal? principal))
        {
            context.Principal = principal;
            context.Success();
        }
        return Task.CompletedTask;
    }

    /// <summary>JwtBearer <c>OnTokenValidated</c>: remember a token that has just passed validation.</summary>
    public Task OnTokenValidated(TokenValidatedContext context)
    {
        if (BearerToken(context.Request) is { } token && context.Principal is { } principal)
        {
            var expires = context.SecurityToken.ValidTo;
            var limit = _time.GetUtcNow() + MaximumAge;
            _principals.Set(token, principal, new MemoryCacheEntryOptions
            {
                AbsoluteExpiration = expires < limit.UtcDateTime ? new DateTimeOffset(expires, TimeSpan.Zero) : limit,
                Size = 1,
            });
        }
        return Task.CompletedTask;
    }

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers[HeaderNames.Authorization].ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7
            ? header[7..].Trim()
            : null;
    }

    public void Dispose() => _principals.Dispose();
}
