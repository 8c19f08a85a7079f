namespace PeerMetrics.Api;

public static class SingletonEndpointFilters
{
    /// <summary>
    /// Like <c>AddEndpointFilter&lt;TFilter&gt;()</c>, but the filter is the container's singleton, resolved once
    /// per endpoint. <c>AddEndpointFilter&lt;TFilter&gt;()</c> activates a new instance, dependencies included, on
    /// every request: measurable on a cache hit, which otherwise resolves almost nothing.
    /// </summary>
    public static RouteGroupBuilder AddSingletonEndpointFilter<TFilter>(this RouteGroupBuilder group)
        where TFilter : class, IEndpointFilter =>
        group.AddEndpointFilterFactory((context, next) =>
        {
            var filter = context.ApplicationServices.GetRequiredService<TFilter>();
            return invocation => filter.InvokeAsync(invocation, next);
        });
}
