namespace PeerMetrics.Api.Summaries.Definitions;

/// <summary>The dashboard's human titles for issue codes, as listed in the contract.</summary>
public static class IssueTitles
{
    private static readonly Dictionary<string, string> Titles = new(StringComparer.Ordinal)
    {
        ["no_media_access"] = "Could not access any media device",
        ["ice_failed"] = "Connection could not be established",
        ["no_connection"] = "The participant could not establish a connection",
        ["very_low_emos"] = "The participant had a very bad experience during the conference",
        ["getusermedia_error"] = "Problem accessing media",
        ["icecandidateerror"] = "ICE candidate error",
        ["connection_disconnected"] = "Connection disconnected",
        ["connection_failed"] = "Connection failed",
        ["multiple_rejoins"] = "Multiple rejoins",
        ["tcp_used"] = "Media sent over TCP",
        ["turn_used"] = "Connection relayed through a TURN server",
        ["low_emos"] = "Participant had a less than ideal experience",
    };

    /// <summary>The title of a code; a code the contract does not know is its own title.</summary>
    public static string For(string code) => Titles.GetValueOrDefault(code, code);
}
