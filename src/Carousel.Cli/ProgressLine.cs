namespace Carousel.Cli;

/// <summary>
/// A one-line progress bar redrawn in place on a terminal; when output is redirected (CI, pipes) it
/// prints a plain line at most every few seconds instead, so logs stay readable.
/// </summary>
internal sealed class ProgressLine : IDisposable
{
    /// <summary>An estimate of time left as h:mm:ss; beyond what a <see cref="TimeSpan"/> holds (a run of absurd length), "∞".</summary>
    public static string Duration(double seconds) =>
        seconds >= 0 && seconds < TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.FromSeconds(Math.Round(seconds)).ToString("g") : "∞";

    private readonly bool _interactive = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("CI") is null;
    private DateTime _lastPlainLine = DateTime.MinValue;
    private string _last = "", _lastPrinted = "";
    private bool _open;

    public void Update(double fraction, string text)
    {
        _last = text;
        if (_interactive)
        {
            const int width = 24;
            int filled = (int)Math.Round(Math.Clamp(fraction, 0, 1) * width);
            string line = $"[{new string('#', filled)}{new string('-', width - filled)}] {text}";
            int columns = SafeWindowWidth();
            if (line.Length > columns - 1) line = line[..(columns - 1)];
            Console.Write("\r" + line.PadRight(columns - 1));
            _open = true;
        }
        // In a log, a line every few seconds, and always the line that ends a phase (a log reader sees it finished).
        else if ((fraction >= 1 || DateTime.UtcNow - _lastPlainLine > TimeSpan.FromSeconds(5)) && text != _lastPrinted)
        {
            Console.WriteLine(text);
            _lastPrinted = text;
            _lastPlainLine = DateTime.UtcNow;
        }
    }

    /// <summary>A line that stays (an evaluation result), printed above the bar.</summary>
    public void Log(string text)
    {
        if (_open) Console.Write("\r" + new string(' ', SafeWindowWidth() - 1) + "\r");
        Console.WriteLine(text);
        _open = false;
        _last = "";
        _lastPlainLine = DateTime.UtcNow;
    }

    /// <summary>Ends the bar, making sure the last state is visible.</summary>
    public void Finish()
    {
        if (_open) Console.WriteLine();
        else if (_last.Length > 0 && !_interactive && _last != _lastPrinted) Console.WriteLine(_last);
        _open = false;
        _last = "";
    }

    public void Dispose()
    {
        if (_open) Console.WriteLine();
        _open = false;
    }

    private static int SafeWindowWidth()
    {
        try { return Console.WindowWidth > 20 ? Console.WindowWidth : 120; }
        catch (IOException) { return 120; }
    }
}
