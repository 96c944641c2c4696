using System.Globalization;
using System.Xml.Linq;
using Carousel.Diagnostics;

namespace Carousel.Tests.Diagnostics;

public class SvgChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void EachSeriesIsOnePathWithItsNameInTheLegend()
    {
        var chart = new SvgChart("Title", "lag", "norm")
            .Add("rnn", [0, 1, 2], [3, 4, 5])
            .Add("lstm", [0, 1, 2], [1, 2, 3], markers: true)
            .Add("gru", [0, 1, 2], [2, 2, 2]);

        var doc = XDocument.Parse(chart.ToSvg());

        var paths = SeriesPaths(doc);
        Assert.Equal(["rnn", "lstm", "gru"], paths.Select(p => (string)p.Attribute("data-name")!));
        Assert.Equal(3, paths.Select(p => (string)p.Attribute("stroke")!).Distinct().Count());
        Assert.Equal(3, doc.Descendants(Svg + "circle").Count()); // markers only where asked for
        var legend = doc.Descendants(Svg + "g").Single(g => (string?)g.Attribute("class") == "legend");
        Assert.Equal(["rnn", "lstm", "gru"], legend.Elements(Svg + "text").Select(t => t.Value));
        Assert.Contains(doc.Descendants(Svg + "text"), t => t.Value == "Title");
    }

    [Fact]
    public void LogAxisTicksArePowersOfTenAndUnplaceablePointsBreakTheLine()
    {
        double[] y = [1e-7, 3e-5, double.NaN, 0, -1, double.PositiveInfinity, 2e-2, 0.5];
        var chart = new SvgChart("t", "x", "y") { YScale = AxisScale.Log10 }.Add("s", [0, 1, 2, 3, 4, 5, 6, 7], y);

        var doc = XDocument.Parse(chart.ToSvg());

        var labels = TickLabels(doc, "y-ticks");
        Assert.True(labels.Count >= 3, string.Join(" ", labels));
        foreach (string label in labels)
        {
            Assert.StartsWith("10", label);
            Assert.All(label[2..], c => Assert.Contains(c, "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"));
        }
        Assert.Equal("10⁻⁷", labels[0]);
        Assert.Equal("10⁰", labels[^1]);
        // Two runs of placeable points: 1e-7, 3e-5 | 2e-2, 0.5.
        var d = (string)SeriesPaths(doc).Single().Attribute("d")!;
        Assert.Equal(2, d.Count(c => c == 'M'));
        Assert.Equal(2, d.Count(c => c == 'L'));
    }

    [Fact]
    public void PointsMapInsideThePlotAreaAndExtremesReachItsEdges()
    {
        var chart = new SvgChart("t", "x", "y").Add("a", [-3, 0, 7.5], [0.2, -1.3, 4.1]).Add("b", [1, 2], [10, 11]);
        var doc = XDocument.Parse(chart.ToSvg());
        var area = doc.Descendants(Svg + "rect").Single(r => (string?)r.Attribute("class") == "plot-area");
        double left = D(area, "x"), top = D(area, "y"), right = left + D(area, "width"), bottom = top + D(area, "height");

        var points = SeriesPaths(doc).SelectMany(p => Points((string)p.Attribute("d")!)).ToList();

        Assert.Equal(5, points.Count);
        Assert.All(points, p => Assert.True(p.X >= left && p.X <= right && p.Y >= top && p.Y <= bottom, $"({p.X}, {p.Y}) outside the plot area"));
        // The larger y value is higher up (smaller SVG y); x grows to the right.
        Assert.True(points[1].Y > points[2].Y && points[0].X < points[1].X);
        // Linear ticks are round numbers covering the data.
        var xTicks = TickLabels(doc, "x-ticks").Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToList();
        Assert.True(xTicks[0] <= -3 && xTicks[^1] >= 7.5, string.Join(" ", xTicks));
    }

    [Fact]
    public void TextIsEscapedAndOutputIsTheSameInEveryCulture()
    {
        string Render() => new SvgChart("a < b & \"c\"", "x > 0", "y's").Add("<rnn> & co", [-0.5, 1.25], [1.5, -2.75]).ToSvg();
        var previous = CultureInfo.CurrentCulture;
        string invariant, withComma;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            invariant = Render();
            var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
            comma.NumberFormat.NumberDecimalSeparator = ",";
            comma.NumberFormat.NegativeSign = "−";
            CultureInfo.CurrentCulture = comma;
            withComma = Render();
        }
        finally { CultureInfo.CurrentCulture = previous; }

        Assert.Equal(invariant, withComma);
        var doc = XDocument.Parse(withComma);
        Assert.Contains(doc.Descendants(Svg + "text"), t => t.Value == "a < b & \"c\"");
        Assert.Equal("<rnn> & co", (string)SeriesPaths(doc).Single().Attribute("data-name")!);
    }

    [Fact]
    public void AChartWithNothingToPlaceStillRenders()
    {
        var chart = new SvgChart("empty", "x", "y") { XScale = AxisScale.Log10, YScale = AxisScale.Log10 }
            .Add("nothing", [0, -1, double.NaN], [1, 2, 3]);
        var doc = XDocument.Parse(chart.ToSvg());
        Assert.Equal("", (string)SeriesPaths(doc).Single().Attribute("d")!);
        Assert.Throws<ArgumentException>(() => chart.Add("bad", [1, 2], [1]));
    }

    [Fact]
    public void SaveWritesTheSvgAtomically()
    {
        using var dir = new TempDirectory();
        var chart = new SvgChart("t", "x", "y").Add("a", [1, 2], [3, 4]);
        chart.Save(dir.File("chart.svg"));
        Assert.Equal(["chart.svg"], dir.FileNames());
        Assert.Equal(chart.ToSvg(), File.ReadAllText(dir.File("chart.svg")));
    }

    private static List<XElement> SeriesPaths(XDocument doc) =>
        doc.Descendants(Svg + "path").Where(p => (string?)p.Attribute("class") == "series").ToList();

    private static List<string> TickLabels(XDocument doc, string group) =>
        doc.Descendants(Svg + "g").Single(g => (string?)g.Attribute("class") == group).Elements(Svg + "text").Select(t => t.Value).ToList();

    private static double D(XElement e, string attribute) => double.Parse((string)e.Attribute(attribute)!, CultureInfo.InvariantCulture);

    private static IEnumerable<(double X, double Y)> Points(string d)
    {
        var parts = d.Split([' ', 'M', 'L'], StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i + 1 < parts.Length; i += 2)
            yield return (double.Parse(parts[i], CultureInfo.InvariantCulture), double.Parse(parts[i + 1], CultureInfo.InvariantCulture));
    }
}
