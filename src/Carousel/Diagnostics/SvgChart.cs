using System.Globalization;
using System.Text;
using Carousel.IO;

namespace Carousel.Diagnostics;

/// <summary>How an axis maps values to positions.</summary>
public enum AxisScale
{
    /// <summary>Evenly spaced values: equal differences are equal distances.</summary>
    Linear,

    /// <summary>Base-10 logarithmic; values ≤ 0 cannot be placed and are left out.</summary>
    Log10,
}

/// <summary>The look of one series: a CSS colour and an SVG stroke-dasharray ("" for a solid line).</summary>
/// <param name="Color">A CSS colour, e.g. "#0072B2".</param>
/// <param name="Dash">An SVG stroke-dasharray, e.g. "7 4"; "" for a solid line.</param>
public sealed record SeriesStyle(string Color, string Dash);

/// <summary>One line of a chart: points (X[i], Y[i]); a point that cannot be placed (NaN, ±∞, ≤ 0 on a log axis) breaks the line.</summary>
/// <param name="Name">The name shown in the legend.</param>
/// <param name="X">The x values of the points.</param>
/// <param name="Y">The y values of the points, as many as <paramref name="X"/>.</param>
/// <param name="Style">The line's colour and dash pattern.</param>
/// <param name="Markers">Whether each point also gets a dot.</param>
public sealed record ChartSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, SeriesStyle Style, bool Markers);

/// <summary>
/// A small line-chart writer: several series, linear or log10 axes with round ticks, title, axis titles and a
/// legend, written as a standalone SVG. Output depends only on the data (invariant culture, fixed precision),
/// so the same run writes the same bytes.
/// </summary>
/// <param name="title">The title above the plot.</param>
/// <param name="xTitle">The x axis's title, e.g. "epoch".</param>
/// <param name="yTitle">The y axis's title, e.g. "loss (nats)".</param>
public sealed class SvgChart(string title, string xTitle, string yTitle)
{
    /// <summary>Colour-blind-safe colours (Okabe–Ito, yellow left out: it vanishes on white).</summary>
    public static readonly IReadOnlyList<string> Colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];

    /// <summary>Dash patterns, solid first.</summary>
    public static readonly IReadOnlyList<string> Dashes = ["", "7 4", "2 3", "9 3 2 3", "4 2 4 6"];

    private const int Width = 760, Height = 460;
    private const double Left = 78, Right = 590, Top = 44, Bottom = 396; // the plot area; the legend sits right of it
    private readonly List<ChartSeries> _series = [];

    /// <summary>How the x axis places values: linear (the default) or log10.</summary>
    public AxisScale XScale { get; init; } = AxisScale.Linear;

    /// <summary>How the y axis places values: linear (the default) or log10.</summary>
    public AxisScale YScale { get; init; } = AxisScale.Linear;

    /// <summary>The series added so far, in drawing and legend order.</summary>
    public IReadOnlyList<ChartSeries> Series => _series;

    /// <summary>Adds a series; without a style it takes the next colour and dash pattern in turn.</summary>
    public SvgChart Add(string name, IReadOnlyList<double> x, IReadOnlyList<double> y, SeriesStyle? style = null, bool markers = false)
    {
        if (x.Count != y.Count) throw new ArgumentException($"Series '{name}' has {x.Count} x values but {y.Count} y values.");
        int n = _series.Count;
        _series.Add(new ChartSeries(name, x, y, style ?? new SeriesStyle(Colors[n % Colors.Count], Dashes[n % Dashes.Count]), markers));
        return this;
    }

    /// <summary>Writes the chart as an SVG file, atomically (see <see cref="AtomicFile"/>).</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToSvg());

    /// <summary>The chart as a standalone SVG document.</summary>
    public string ToSvg()
    {
        var x = new Axis(XScale, Left, Right, _series.SelectMany(s => s.X));
        var y = new Axis(YScale, Bottom, Top, _series.SelectMany(s => s.Y));
        var svg = new StringBuilder();
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" ")
           .Append("font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n")
           .Append($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n")
           .Append($"<text class=\"title\" x=\"{F(Width / 2.0)}\" y=\"26\" text-anchor=\"middle\" font-size=\"{(title.Length > 80 ? 13 : 15)}\">{Escape(title)}</text>\n");

        // Grid lines and tick labels.
        svg.Append("<g class=\"x-ticks\" text-anchor=\"middle\">\n");
        foreach (var (value, label) in x.Ticks)
        {
            string px = F(x.Map(value));
            svg.Append($"<line x1=\"{px}\" y1=\"{F(Top)}\" x2=\"{px}\" y2=\"{F(Bottom)}\" stroke=\"#e4e4e4\"/>")
               .Append($"<text class=\"tick\" x=\"{px}\" y=\"{F(Bottom + 17)}\">{Escape(label)}</text>\n");
        }
        svg.Append("</g>\n<g class=\"y-ticks\" text-anchor=\"end\">\n");
        foreach (var (value, label) in y.Ticks)
        {
            string py = F(y.Map(value));
            svg.Append($"<line x1=\"{F(Left)}\" y1=\"{py}\" x2=\"{F(Right)}\" y2=\"{py}\" stroke=\"#e4e4e4\"/>")
               .Append($"<text class=\"tick\" x=\"{F(Left - 6)}\" y=\"{py}\" dy=\"4\">{Escape(label)}</text>\n");
        }
        svg.Append("</g>\n")
           .Append($"<rect class=\"plot-area\" x=\"{F(Left)}\" y=\"{F(Top)}\" width=\"{F(Right - Left)}\" height=\"{F(Bottom - Top)}\" fill=\"none\" stroke=\"#444\"/>\n")
           .Append($"<text class=\"x-title\" x=\"{F((Left + Right) / 2)}\" y=\"{F(Bottom + 40)}\" text-anchor=\"middle\">{Escape(xTitle)}</text>\n")
           .Append($"<text class=\"y-title\" transform=\"translate(18 {F((Top + Bottom) / 2)}) rotate(-90)\" text-anchor=\"middle\">{Escape(yTitle)}</text>\n");

        // Series, clipped to the plot area so that nothing strays over the axes.
        svg.Append($"<clipPath id=\"plot\"><rect x=\"{F(Left)}\" y=\"{F(Top)}\" width=\"{F(Right - Left)}\" height=\"{F(Bottom - Top)}\"/></clipPath>\n")
           .Append("<g clip-path=\"url(#plot)\" fill=\"none\" stroke-width=\"1.8\" stroke-linejoin=\"round\">\n");
        foreach (var s in _series)
        {
            var path = new StringBuilder();
            var markers = new StringBuilder();
            bool penDown = false;
            for (int i = 0; i < s.X.Count; i++)
            {
                if (!x.CanPlace(s.X[i]) || !y.CanPlace(s.Y[i])) { penDown = false; continue; }
                string px = F(x.Map(s.X[i])), py = F(y.Map(s.Y[i]));
                path.Append(penDown ? " L" : (path.Length > 0 ? " M" : "M")).Append(px).Append(' ').Append(py);
                penDown = true;
                if (s.Markers) markers.Append($"<circle cx=\"{px}\" cy=\"{py}\" r=\"2.6\"/>");
            }
            string dash = s.Style.Dash.Length > 0 ? $" stroke-dasharray=\"{Escape(s.Style.Dash)}\"" : "";
            svg.Append($"<path class=\"series\" data-name=\"{Escape(s.Name)}\" stroke=\"{Escape(s.Style.Color)}\"{dash} d=\"{path}\"/>\n");
            if (markers.Length > 0) svg.Append($"<g class=\"markers\" fill=\"{Escape(s.Style.Color)}\">{markers}</g>\n");
        }
        svg.Append("</g>\n");

        // Legend, right of the plot area.
        svg.Append("<g class=\"legend\">\n");
        for (int i = 0; i < _series.Count; i++)
        {
            var s = _series[i];
            double ly = Top + 8 + 20 * i;
            string dash = s.Style.Dash.Length > 0 ? $" stroke-dasharray=\"{Escape(s.Style.Dash)}\"" : "";
            svg.Append($"<line x1=\"{F(Right + 14)}\" y1=\"{F(ly)}\" x2=\"{F(Right + 48)}\" y2=\"{F(ly)}\" stroke=\"{Escape(s.Style.Color)}\" stroke-width=\"2\"{dash}/>")
               .Append($"<text x=\"{F(Right + 54)}\" y=\"{F(ly)}\" dy=\"4\">{Escape(s.Name)}</text>\n");
        }
        svg.Append("</g>\n</svg>\n");
        return svg.ToString();
    }

    /// <summary>Text made safe inside XML content and attribute values.</summary>
    public static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;").Replace("'", "&apos;");

    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>
    /// One axis: the range of the data widened to round tick values, and the map from values to pixels.
    /// Linear ticks are 1, 2 or 5 × 10ᵏ apart; log ticks are powers of ten (every few decades when there are many).
    /// </summary>
    private sealed class Axis
    {
        private readonly AxisScale _scale;
        private readonly double _from, _to;  // pixel positions of the low and high ends
        private readonly double _low, _high; // the range in axis units (log10 of the value on a log axis)

        public List<(double Value, string Label)> Ticks { get; } = [];

        public Axis(AxisScale scale, double from, double to, IEnumerable<double> values)
        {
            _scale = scale; _from = from; _to = to;
            double min = double.PositiveInfinity, max = double.NegativeInfinity;
            foreach (double v in values)
                if (CanPlace(v)) { double u = ToUnits(v); min = Math.Min(min, u); max = Math.Max(max, u); }
            if (min > max) (min, max) = (0, 1); // nothing to place: an empty decade or unit range
            if (scale == AxisScale.Log10)
            {
                _low = Math.Floor(min); _high = Math.Max(Math.Ceiling(max), _low + 1);
                int every = (int)Math.Ceiling((_high - _low) / 8); // at most about eight labelled decades
                for (double k = _low; k <= _high; k += every) Ticks.Add((Math.Pow(10, k), PowerOfTen((int)k)));
            }
            else
            {
                if (max - min < 1e-12 * Math.Max(1, Math.Abs(max))) { min -= 0.5; max += 0.5; }
                double step = NiceStep((max - min) / 5);
                _low = Math.Floor(min / step) * step; _high = Math.Ceiling(max / step) * step;
                int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9));
                bool exponent = step >= 1e6 || step < 1e-4;
                for (int i = 0; _low + i * step <= _high + step * 1e-9; i++)
                {
                    double v = Math.Round(_low + i * step, Math.Min(decimals, 15));
                    if (v == 0) v = 0; // no "-0"
                    Ticks.Add((v, exponent ? v.ToString("0.##e0", CultureInfo.InvariantCulture) : v.ToString("F" + decimals, CultureInfo.InvariantCulture)));
                }
            }
        }

        public bool CanPlace(double v) => double.IsFinite(v) && (_scale == AxisScale.Linear || v > 0);

        public double Map(double v) => _from + (ToUnits(v) - _low) / (_high - _low) * (_to - _from);

        private double ToUnits(double v) => _scale == AxisScale.Log10 ? Math.Log10(v) : v;

        private static double NiceStep(double rough)
        {
            double magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
            double f = rough / magnitude;
            return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * magnitude;
        }

        private static string PowerOfTen(int k)
        {
            const string superscripts = "⁰¹²³⁴⁵⁶⁷⁸⁹";
            var text = new StringBuilder("10");
            if (k < 0) text.Append('⁻');
            foreach (char c in Math.Abs(k).ToString(CultureInfo.InvariantCulture)) text.Append(superscripts[c - '0']);
            return text.ToString();
        }
    }
}
