using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace PeerMetrics.Api.Tests.Hosting;

/// <summary>
/// HTTP/1.1 written byte for byte on a socket, for limits an HttpClient would blur (it adds headers of its own,
/// escapes the target). Reads until the server closes the connection.
/// </summary>
internal static class RawHttp
{
    public sealed record Response(int Status, string Head, string Body);

    /// <summary>The request line exactly as given, CRLF added.</summary>
    public static string RequestLine(string target) => $"GET {target} HTTP/1.1\r\n";

    /// <summary>Sends <paramref name="request"/> as is; returns every response the server wrote before closing.</summary>
    public static async Task<List<Response>> SendAsync(Uri server, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));

        using var received = new MemoryStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await stream.CopyToAsync(received, timeout.Token);
        return Parse(Encoding.ASCII.GetString(received.ToArray()));
    }

    /// <summary>A request carrying <c>Connection: close</c>, so that exactly one response comes back.</summary>
    public static async Task<Response> SendOneAsync(Uri server, string requestLine, params string[] headers)
    {
        var request = new StringBuilder(requestLine).Append("Host: localhost\r\n");
        foreach (var header in headers)
        {
            request.Append(header).Append("\r\n");
        }
        request.Append("Connection: close\r\n\r\n");
        return Assert.Single(await SendAsync(server, request.ToString()));
    }

    // Responses back to back: a head, then a body framed by Content-Length or chunked encoding.
    private static List<Response> Parse(string text)
    {
        var responses = new List<Response>();
        var position = 0;
        while (position < text.Length)
        {
            var headEnd = text.IndexOf("\r\n\r\n", position, StringComparison.Ordinal);
            Assert.True(headEnd >= 0, $"incomplete response: {text[position..]}");
            var head = text[position..headEnd];
            position = headEnd + 4;
            var status = int.Parse(head.Split(' ')[1], CultureInfo.InvariantCulture);

            var body = new StringBuilder();
            if (Header(head, "Content-Length") is { } length)
            {
                var count = int.Parse(length, CultureInfo.InvariantCulture);
                body.Append(text, position, count);
                position += count;
            }
            else if (Header(head, "Transfer-Encoding") == "chunked")
            {
                while (true)
                {
                    var sizeEnd = text.IndexOf("\r\n", position, StringComparison.Ordinal);
                    var size = int.Parse(text[position..sizeEnd], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    position = sizeEnd + 2;
                    body.Append(text, position, size);
                    position += size + 2;
                    if (size == 0)
                    {
                        break;
                    }
                }
            }
            responses.Add(new Response(status, head, body.ToString()));
        }
        return responses;
    }

    private static string? Header(string head, string name) =>
        head.Split("\r\n").Skip(1)
            .Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2 && parts[0].Equals(name, StringComparison.OrdinalIgnoreCase))
            .Select(parts => parts[1].Trim())
            .FirstOrDefault();
}
