using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Net.Http.Headers;

namespace PeerMetrics.Api.Auth;

/// <summary>
/// Remembers tokens that passed full validation, so a dashboard's repeated requests skip re-validating the
/// same token (a third of a cache hit's CPU time). The key is the exact <c>Authorization</c> header, as the request
/// carries it (no copy of the token per request): only a byte-identical header whose token was itself validated is
/// accepted, and never past the token's expiry or a few minutes, whichever comes first. Bounded in size.
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
        if (BearerHeader(context.Request) is { } header && _principals.TryGetValue(header, out ClaimsPrincipal? principal))
        {
            context.Principal = principal;
            context.Success();
        }
        return Task.CompletedTask;
    }

    /// <summary>JwtBearer <c>OnTokenValidated</c>: remember a token that has just passed validation.</summary>
    public Task OnTokenValidated(TokenValidatedContext context)
    {
        if (BearerHeader(context.Request) is { } header && context.Principal is { } principal)
        {
            var expires = context.SecurityToken.ValidTo;
            var limit = _time.GetUtcNow() + MaximumAge;
            _principals.Set(header, principal, new MemoryCacheEntryOptions
            {
                AbsoluteExpiration = expires < limit.UtcDateTime ? new DateTimeOffset(expires, TimeSpan.Zero) : limit,
                Size = 1,
            });
        }
        return Task.CompletedTask;
    }

    private static string? BearerHeader(HttpRequest request)
    {
        var header = request.Headers[HeaderNames.Authorization].ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && !header.AsSpan(7).Trim().IsEmpty ? header : null;
    }

    public void Dispose() => _principals.Dispose();
}
