using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PeerMetrics.Tokens;

namespace Microsoft.Extensions.Hosting;

public static class TokenExtensions
{
    /// <summary>
    /// Binds and validates the token contract's settings (the <c>Auth</c> section) at start-up and registers the
    /// <see cref="TokenIssuer"/>. <paramref name="defaultKey"/> fills in a missing key (the Api's Development key).
    /// </summary>
    public static TBuilder AddTokenContract<TBuilder>(this TBuilder builder, string? defaultKey = null)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<AuthOptions>()
            .BindConfiguration(AuthOptions.SectionName)
            .PostConfigure(options =>
            {
                if (string.IsNullOrEmpty(options.SigningKey))
                {
                    options.SigningKey = defaultKey;
                }
            })
            .Validate(options => options.HasValidKey,
                $"Auth:SigningKey (env Auth__SigningKey) must be set to the Api's signing key, at least {AuthOptions.MinimumKeyBytes} bytes.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<TokenIssuer>();
        return builder;
    }
}
