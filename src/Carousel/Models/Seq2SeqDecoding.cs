using Carousel.Data;
using Carousel.Layers.Recurrent;

namespace Carousel.Models;

/// <summary>An output sequence (end symbol not included), its log-probability under the model and its ranking score.</summary>
/// <param name="Tokens">The target symbol ids, without start or end symbol.</param>
/// <param name="LogProbability">ln P(tokens, then the end symbol if finished | source), in nats.</param>
/// <param name="Score">What hypotheses are ranked by: the log-probability, divided by length^penalty in a beam search with one.</param>
/// <param name="Finished">Whether the model emitted the end symbol (false: the length limit cut it off).</param>
public sealed record Hypothesis(int[] Tokens, double LogProbability, double Score, bool Finished);

/// <summary>
/// Greedy and beam-search decoding of a <see cref="Seq2Seq"/> model, a batch of sources at a time, one decoder step
/// (T = 1, state carried) per output symbol. Only real symbols and the end symbol are ever produced. Decoding stops at
/// the end symbol or after <see cref="MaxLength"/> symbols. Given several models (an ensemble: the same source and target
/// symbols), every step scores each symbol by the mean of the models' log-probabilities, and each model carries its own state.
/// Outputs are in reading order whichever way the models write (<see cref="Seq2SeqConfig.RightToLeft"/>); an ensemble of
/// both directions is decoded by <see cref="Decode"/>: each direction searches, and all the models rank the candidates.
/// </summary>
public static class Seq2SeqDecoding
{
    /// <summary>The longest output allowed for a source of the given length: twice the source plus ten.</summary>
    public static int MaxLength(int sourceLength) => 2 * sourceLength + 10;

    /// <summary>
    /// The ensemble's best outputs per source, best first: greedy when <paramref name="beams"/> is 1 (one hypothesis), else
    /// up to K from a beam search. When the models write in both directions (<see cref="Seq2SeqConfig.RightToLeft"/>), each
    /// direction's models search together, and the union of their candidates is ranked by the mean over all the models of
    /// each candidate's log-probability (end symbol included; <see cref="Score"/>) — Liu et al. 2016's agreement between
    /// left-to-right and right-to-left decoders, at decode time.
    /// </summary>
    public static List<Hypothesis>[] Decode(IReadOnlyList<Seq2Seq> models, PaddedBatch source, int beams, double lengthPenalty = 0)
    {
        var groups = models.GroupBy(m => m.Config.RightToLeft).Select(g => (IReadOnlyList<Seq2Seq>)[.. g]).ToList();
        if (groups.Count == 1)
            return beams == 1 ? [.. Greedy(models, source).Select(h => new List<Hypothesis> { h })] : Beam(models, source, beams, lengthPenalty);
        int B = source.BatchSize;
        var candidates = new List<int[]>[B];
        var finished = new List<bool>[B];
        for (int b = 0; b < B; b++) { candidates[b] = []; finished[b] = []; }
        foreach (var group in groups)
        {
            var found = Decode(group, source, beams, lengthPenalty);
            for (int b = 0; b < B; b++)
                foreach (var h in found[b])
                {
                    int seen = candidates[b].FindIndex(c => c.AsSpan().SequenceEqual(h.Tokens));
                    if (seen < 0) { candidates[b].Add(h.Tokens); finished[b].Add(h.Finished); }
                    else finished[b][seen] |= h.Finished;
                }
        }
        var total = new double[B][];
        for (int b = 0; b < B; b++) total[b] = new double[candidates[b].Count];
        foreach (var model in models)
        {
            var scores = Score(model, source, candidates);
            for (int b = 0; b < B; b++)
                for (int c = 0; c < scores[b].Length; c++) total[b][c] += scores[b][c] / models.Count;
        }
        var result = new List<Hypothesis>[B];
        for (int b = 0; b < B; b++)
        {
            var list = new List<Hypothesis>(candidates[b].Count);
            for (int c = 0; c < candidates[b].Count; c++)
            {
                double logProbability = total[b][c];
                double rank = RankingScore(logProbability, candidates[b][c].Length, lengthPenalty);
                list.Add(new Hypothesis(candidates[b][c], logProbability, rank, finished[b][c]));
            }
            result[b] = [.. list.OrderByDescending(h => h.Score).Take(beams)]; // a stable sort: ties keep the first direction's order
        }
        return result;
    }

    /// <summary>
    /// Teacher-forced scoring: ln P(candidate, then the end symbol | source) under <paramref name="model"/> for every
    /// candidate of every source (candidates in reading order, without start or end symbol; a right-to-left model reads them
    /// reversed). One decoder pass for all: row b·C + c carries candidate c of source b.
    /// </summary>
    public static double[][] Score(Seq2Seq model, PaddedBatch source, IReadOnlyList<IReadOnlyList<int[]>> candidates)
    {
        int B = source.BatchSize, V = model.Config.TargetVocabulary;
        if (candidates.Count != B) throw new ArgumentException($"Scoring needs one candidate list per source: {B} sources, {candidates.Count} lists.");
        int C = Math.Max(1, candidates.Max(list => list.Count)), N = B * C;
        var sequences = new int[N][];   // row r's symbols in the model's writing order; null: an unused row
        int longest = 0;
        for (int b = 0; b < B; b++)
            for (int c = 0; c < candidates[b].Count; c++)
            {
                var tokens = candidates[b][c].ToArray();
                if (model.Config.RightToLeft) Array.Reverse(tokens);
                sequences[b * C + c] = tokens;
                longest = Math.Max(longest, tokens.Length);
            }
        var state = model.StartDecoding(source, C);
        var previous = new int[N];
        Array.Fill(previous, TokenVocabulary.StartId);
        var total = new double[N];
        var logProbabilities = new float[N * V];
        for (int t = 0; t <= longest; t++)   // step t predicts symbol t, the end symbol at t = length
        {
            state = model.DecodeStep(previous, state, logProbabilities);
            for (int r = 0; r < N; r++)
            {
                var tokens = sequences[r];
                if (tokens is null || t > tokens.Length) { previous[r] = TokenVocabulary.EndId; continue; }
                int next = t < tokens.Length ? tokens[t] : TokenVocabulary.EndId;
                total[r] += logProbabilities[r * V + next];
                previous[r] = next;
            }
        }
        var result = new double[B][];
        for (int b = 0; b < B; b++) result[b] = total.AsSpan(b * C, candidates[b].Count).ToArray();
        return result;
    }

    /// <summary>The most likely symbol at every step, one hypothesis per source.</summary>
    public static Hypothesis[] Greedy(Seq2Seq model, PaddedBatch source) => Greedy([model], source);

    /// <summary>The most likely symbol at every step under the ensemble's mean log-probabilities, one hypothesis per source.</summary>
    public static Hypothesis[] Greedy(IReadOnlyList<Seq2Seq> models, PaddedBatch source)
    {
        int B = source.BatchSize, V = TargetVocabulary(models), steps = MaxLength(source.Steps);
        var state = new EnsembleState(models, source, beams: 1);
        var previous = new int[B];
        Array.Fill(previous, TokenVocabulary.StartId);
        var tokens = new List<int>[B];
        var logProbability = new double[B];
        var finished = new bool[B];
        for (int b = 0; b < B; b++) tokens[b] = new List<int>();
        var logProbabilities = new float[B * V];
        int open = B;
        for (int t = 0; t < steps && open > 0; t++)
        {
            state.Step(previous, logProbabilities);
            for (int b = 0; b < B; b++)
            {
                if (finished[b]) { previous[b] = TokenVocabulary.EndId; continue; }
                var row = logProbabilities.AsSpan(b * V, V);
                int best = TokenVocabulary.EndId;
                for (int v = TokenVocabulary.EndId + 1; v < V; v++)
                    if (row[v] > row[best]) best = v;
                logProbability[b] += row[best];
                previous[b] = best;
                if (best == TokenVocabulary.EndId) { finished[b] = true; open--; }
                else tokens[b].Add(best);
            }
        }
        var result = new Hypothesis[B];
        for (int b = 0; b < B; b++) result[b] = new Hypothesis(ReadingOrder(models, [.. tokens[b]]), logProbability[b], logProbability[b], finished[b]);
        return result;
    }

    /// <summary>
    /// Beam search with K beams per source: at each step every open hypothesis is extended by every symbol and the K
    /// best by log-probability are kept, finished hypotheses competing with open ones. Returns per source up to K
    /// hypotheses, best first, ranked by log-probability / length^<paramref name="lengthPenalty"/> (length counting the
    /// end symbol; 0 ranks by log-probability itself).
    /// </summary>
    public static List<Hypothesis>[] Beam(Seq2Seq model, PaddedBatch source, int beams, double lengthPenalty = 0) =>
        Beam([model], source, beams, lengthPenalty);

    /// <summary>Beam search as <see cref="Beam(Seq2Seq, PaddedBatch, int, double)"/> under the ensemble's mean log-probabilities.</summary>
    public static List<Hypothesis>[] Beam(IReadOnlyList<Seq2Seq> models, PaddedBatch source, int beams, double lengthPenalty = 0)
    {
        if (beams < 1) throw new ArgumentException($"The beam size must be at least 1, got {beams}.");
        if (!(lengthPenalty >= 0)) throw new ArgumentException($"The length penalty must be ≥ 0, got {lengthPenalty}.");
        int B = source.BatchSize, K = beams, N = B * K, V = TargetVocabulary(models), steps = MaxLength(source.Steps);
        var state = new EnsembleState(models, source, K);
        var previous = new int[N];
        Array.Fill(previous, TokenVocabulary.StartId);
        var tokens = new int[N][];
        var scores = new double[N];
        var finished = new bool[N];
        for (int r = 0; r < N; r++)
        {
            tokens[r] = [];
            scores[r] = r % K == 0 ? 0 : double.NegativeInfinity; // one live hypothesis per source to start
        }
        var logProbabilities = new float[N * V];
        var candidates = new List<(double Score, int Row, int Symbol)>(K * V);
        var parents = new int[N];
        var nextTokens = new int[N][];
        var nextScores = new double[N];
        var nextFinished = new bool[N];
        for (int t = 0; t < steps && !AllFinished(finished, scores); t++)
        {
            state.Step(previous, logProbabilities);
            for (int b = 0; b < B; b++)
            {
                candidates.Clear();
                for (int k = 0; k < K; k++)
                {
                    int r = b * K + k;
                    if (double.IsNegativeInfinity(scores[r])) continue;
                    if (finished[r]) { candidates.Add((scores[r], r, -1)); continue; }
                    var row = logProbabilities.AsSpan(r * V, V);
                    for (int v = TokenVocabulary.EndId; v < V; v++) candidates.Add((scores[r] + row[v], r, v));
                }
                // best first; ties by row then symbol, so K = 1 picks what greedy picks
                candidates.Sort((x, y) => x.Score != y.Score ? y.Score.CompareTo(x.Score) : x.Row != y.Row ? x.Row.CompareTo(y.Row) : x.Symbol.CompareTo(y.Symbol));
                for (int k = 0; k < K; k++)
                {
                    int r = b * K + k;
                    if (k >= candidates.Count)
                    {
                        parents[r] = b * K; nextTokens[r] = []; nextScores[r] = double.NegativeInfinity; nextFinished[r] = true;
                        continue;
                    }
                    var (score, parent, symbol) = candidates[k];
                    parents[r] = parent;
                    nextScores[r] = score;
                    nextFinished[r] = symbol < 0 || symbol == TokenVocabulary.EndId;
                    nextTokens[r] = symbol > TokenVocabulary.EndId ? [.. tokens[parent], symbol] : tokens[parent];
                    previous[r] = symbol < 0 ? TokenVocabulary.EndId : symbol;
                }
            }
            (tokens, nextTokens) = (nextTokens, tokens);
            (scores, nextScores) = (nextScores, scores);
            (finished, nextFinished) = (nextFinished, finished);
            state.Gather(parents);
        }

        var result = new List<Hypothesis>[B];
        for (int b = 0; b < B; b++)
        {
            var list = new List<Hypothesis>(K);
            for (int k = 0; k < K; k++)
            {
                int r = b * K + k;
                if (double.IsNegativeInfinity(scores[r])) continue;
                double rank = RankingScore(scores[r], tokens[r].Length, lengthPenalty);
                list.Add(new Hypothesis(ReadingOrder(models, tokens[r]), scores[r], rank, finished[r]));
            }
            list.Sort((x, y) => y.Score.CompareTo(x.Score));
            result[b] = list;
        }
        return result;
    }

    // What hypotheses are ranked by: ln P / (length + 1)^penalty, the end symbol counted in the length (0: ln P itself).
    private static double RankingScore(double logProbability, int length, double lengthPenalty) =>
        lengthPenalty == 0 ? logProbability : logProbability / Math.Pow(length + 1, lengthPenalty);

    // Also checks that the models search together: the same target symbols, written the same way.
    private static int TargetVocabulary(IReadOnlyList<Seq2Seq> models)
    {
        if (models.Count == 0) throw new ArgumentException("Decoding needs at least one model.");
        int V = models[0].Config.TargetVocabulary;
        foreach (var model in models)
        {
            if (model.Config.TargetVocabulary != V) throw new ArgumentException("The models of an ensemble must share their target symbols.");
            if (model.Config.RightToLeft != models[0].Config.RightToLeft)
                throw new ArgumentException("A step-by-step search needs models that write the same way; Decode mixes directions.");
        }
        return V;
    }

    // A right-to-left model's output, written last symbol first, in reading order (a new array: beam rows share theirs).
    private static int[] ReadingOrder(IReadOnlyList<Seq2Seq> models, int[] tokens)
    {
        if (!models[0].Config.RightToLeft) return tokens;
        var reversed = tokens.ToArray();
        Array.Reverse(reversed);
        return reversed;
    }

    /// <summary>Each model's decoder state, stepped together; one model writes its log-probabilities directly, several their mean.</summary>
    private sealed class EnsembleState
    {
        private readonly IReadOnlyList<Seq2Seq> _models;
        private readonly Seq2SeqDecoderState[] _states;
        private readonly float[] _scratch;   // [N, V] one model's log-probabilities, when there are several

        public EnsembleState(IReadOnlyList<Seq2Seq> models, PaddedBatch source, int beams)
        {
            _models = models;
            _states = models.Select(m => m.StartDecoding(source, beams)).ToArray();
            _scratch = models.Count > 1 ? new float[source.BatchSize * beams * models[0].Config.TargetVocabulary] : [];
        }

        // logProbabilities [N, V] = mean over the models of their log-probabilities
        public void Step(int[] previous, float[] logProbabilities)
        {
            if (_models.Count == 1)
            {
                _states[0] = _models[0].DecodeStep(previous, _states[0], logProbabilities);
                return;
            }
            Array.Clear(logProbabilities);
            for (int m = 0; m < _models.Count; m++)
            {
                _states[m] = _models[m].DecodeStep(previous, _states[m], _scratch);
                System.Numerics.Tensors.TensorPrimitives.Add(logProbabilities, _scratch, logProbabilities);
            }
            System.Numerics.Tensors.TensorPrimitives.Multiply(logProbabilities, 1f / _models.Count, logProbabilities);
        }

        public void Gather(int[] rows)
        {
            for (int m = 0; m < _states.Length; m++) _states[m] = _states[m].Gather(rows);
        }
    }

    private static bool AllFinished(bool[] finished, double[] scores)
    {
        for (int r = 0; r < finished.Length; r++)
            if (!finished[r] && !double.IsNegativeInfinity(scores[r])) return false;
        return true;
    }
}
