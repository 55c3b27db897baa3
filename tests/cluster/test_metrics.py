"""
Tests for L{openocpp.cluster.metrics.merge_expositions}: several nodes'
Prometheus expositions as one that Prometheus' own parser reads.
"""

from prometheus_client.parser import text_string_to_metric_families
from twisted.trial.unittest import TestCase

from openocpp.cluster.metrics import merge_expositions

NODE_A = """\
# HELP openocpp_calls_total Calls.
# TYPE openocpp_calls_total counter
openocpp_calls_total{action="Heartbeat",direction="received"} 3.0
# HELP openocpp_connected_charge_points Connected.
# TYPE openocpp_connected_charge_points gauge
openocpp_connected_charge_points 1.0
# HELP openocpp_node_info This node.
# TYPE openocpp_node_info gauge
openocpp_node_info{node="a"} 1.0
"""

NODE_B = NODE_A.replace("3.0", "5.0").replace('node="a"', 'node="b"').replace("points 1.0", "points 2.0")


class MergeTests(TestCase):
    """
    L{merge_expositions}.
    """

    def families(self, text):
        return {family.name: family for family in text_string_to_metric_families(text)}

    def test_each_sample_labelled_with_its_node(self):
        """
        Every sample has its node's label, beside its own labels.
        """
        merged = merge_expositions({"a": NODE_A, "b": NODE_B})
        calls = self.families(merged)["openocpp_calls"]
        self.assertEqual(
            sorted((sample.labels["node"], sample.labels["action"], sample.value) for sample in calls.samples),
            [("a", "Heartbeat", 3.0), ("b", "Heartbeat", 5.0)],
        )
        connected = self.families(merged)["openocpp_connected_charge_points"]
        self.assertEqual(sorted((s.labels["node"], s.value) for s in connected.samples), [("a", 1.0), ("b", 2.0)])

    def test_one_help_and_type_per_metric(self):
        """
        Each metric's HELP and TYPE come once, its samples of every node
        after them.
        """
        lines = merge_expositions({"a": NODE_A, "b": NODE_B}).splitlines()
        self.assertEqual(lines.count("# TYPE openocpp_calls_total counter"), 1)
        start = lines.index("# TYPE openocpp_calls_total counter")
        self.assertTrue(all(line.startswith("openocpp_calls_total{") for line in lines[start + 1:start + 3]))

    def test_node_label_kept(self):
        """
        A sample that names its node already (C{openocpp_node_info}) keeps
        its label, not given a second.
        """
        merged = merge_expositions({"a": NODE_A, "b": NODE_B})
        self.assertIn('openocpp_node_info{node="b"} 1.0', merged.splitlines())
        self.families(merged)

    def test_notes_first(self):
        """
        The notes (who did not answer) are comments at the top, which
        parsers skip.
        """
        merged = merge_expositions({"a": NODE_A}, ["1 of the 1 other nodes did not answer within 2 s"])
        self.assertTrue(merged.startswith("# 1 of the 1 other nodes did not answer"))
        self.assertIn("openocpp_calls", self.families(merged))

    def test_node_name_escaped(self):
        """
        A node name with a quote or backslash is escaped in the label.
        """
        merged = merge_expositions({'we"ird\\': NODE_A})
        samples = self.families(merged)["openocpp_connected_charge_points"].samples
        self.assertEqual(samples[0].labels["node"], 'we"ird\\')
