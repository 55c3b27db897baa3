"""
Tests for the simulator's scenario files (L{openocpp.chargepoint.scenario}):
what they hold, and one specific error for each mistake.
"""

import glob
import json
import os

from twisted.trial.unittest import SynchronousTestCase

from openocpp.chargepoint.scenario import ScenarioError, load_scenario, parse_scenario
from openocpp.messages import ResetResponse
from openocpp.messages.enums import ResetStatus

EXAMPLES = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "examples", "scenarios",
)


class ParseTests(SynchronousTestCase):
    """
    L{parse_scenario} turns a document into checked steps.
    """

    def test_every_step(self):
        """
        Each step of the format is read with its fields: bare names, a
        bare value for one-field steps, mappings, and repeat blocks.
        """
        scenario = parse_scenario([
            "plug_in",
            {"authorize": "TAG-1"},
            {"charge": {"kwh": 10, "kw": 11}},
            "unplug",
            {"fault": {"errorCode": "GroundFailure", "seconds": 5}},
            {"offline": {"seconds": 30}},
            "reboot",
            {"answer": {"action": "Reset", "status": "Rejected"}},
            {"wait": 2.5},
            {"repeat": {"times": 3, "steps": ["plug_in", {"wait": {"seconds": 1}}]}},
        ])
        kinds = [step.kind for step in scenario.steps]
        self.assertEqual(kinds, ["plug_in", "authorize", "charge", "unplug", "fault", "offline",
                                 "reboot", "answer", "wait", "repeat"])
        self.assertEqual(scenario.steps[1].args, {"idTag": "TAG-1"})
        self.assertEqual(scenario.steps[2].args, {"kwh": 10.0, "kw": 11.0})
        self.assertEqual(scenario.steps[5].args, {"seconds": 30.0})
        self.assertEqual(scenario.steps[7].args["response"], ResetResponse(status=ResetStatus.REJECTED))
        repeat = scenario.steps[9].args
        self.assertEqual(repeat["times"], 3)
        self.assertEqual([s.where for s in repeat["steps"]], ["step 10.1 (plug_in)", "step 10.2 (wait)"])
        self.assertEqual(scenario.connector, 1)

    def test_per_charge_point(self):
        """
        A charge point named under C{charge_points} runs its own steps, the
        others the common ones.
        """
        scenario = parse_scenario({"steps": ["plug_in"], "charge_points": {"SIM0002": ["reboot"]},
                                   "connector": 2})
        self.assertEqual([s.kind for s in scenario.steps_of("SIM0001")], ["plug_in"])
        self.assertEqual([s.kind for s in scenario.steps_of("SIM0002")], ["reboot"])
        self.assertEqual(scenario.connector, 2)

    def assertRefused(self, document, message):
        with self.assertRaises(ValueError) as caught:
            parse_scenario(document)
        self.assertEqual(str(caught.exception), message)

    def test_errors_name_the_step_and_field(self):
        """
        A wrong step is refused with its index (nested ones C{4.2}), its
        kind and the field.
        """
        self.assertRefused(["plug_in", {"charge": {"kwh": "ten", "kw": 11}}],
                           "step 2 (charge): kwh must be a positive number, not 'ten'")
        self.assertRefused([{"charge": {"kwh": 1}}],
                           "step 1 (charge): kw must be a positive number, not None")
        self.assertRefused([{"charge": {"kwh": 1, "kw": 2, "speed": 3}}],
                           "step 1 (charge): unknown field 'speed' (kwh, kw, idTag)")
        self.assertRefused(["dance"], "step 1: unknown step 'dance' (one of plug_in, unplug, "
                           "authorize, charge, fault, offline, reboot, answer, wait, repeat)")
        self.assertRefused([{"authorize": "X" * 21}],
                           "step 1 (authorize): idTag must be 1 to 20 characters (CiString20Type), "
                           f"not {'X' * 21!r}")
        self.assertRefused([{"fault": {"errorCode": "NoError"}}],
                           "step 1 (fault): errorCode must be a ChargePointErrorCode but NoError, "
                           "not 'NoError'")
        self.assertRefused([{"wait": -1}], "step 1 (wait): seconds must be a number of 0 or more, not -1")
        self.assertRefused([{"answer": {"action": "Heartbeat", "status": "Accepted"}}],
                           "step 1 (answer): action must be a request the central system sends, "
                           "not 'Heartbeat'")
        self.assertRefused([{"answer": {"action": "Reset", "status": "Maybe"}}],
                           "step 1 (answer): status 'Maybe' is not an answer of Reset (or its answer "
                           "has no status alone)")
        self.assertRefused(["plug_in", "wait", {"repeat": {"steps": ["plug_in", {"wait": "x"}]}}],
                           "step 2 (wait): seconds must be a number of 0 or more, not None")
        self.assertRefused([{"repeat": {"steps": ["plug_in", {"wait": "x"}]}}],
                           "step 1.2 (wait): seconds must be a number of 0 or more, not 'x'")
        self.assertRefused([{"reboot": 3}], "step 1 (reboot): takes no value, not 3")
        self.assertRefused({"steps": [], "charge_points": {"SIM1": [{"wait": None}]}},
                           "SIM1 step 1 (wait): seconds must be a number of 0 or more, not None")
        self.assertRefused({"connector": 0, "steps": ["plug_in"]},
                           "connector must be a connector number (1 or more), not 0")
        self.assertRefused({"step": []}, "unknown field 'step' (steps, charge_points, connector)")
        self.assertRefused([], "no steps")


class LoadTests(SynchronousTestCase):
    """
    L{load_scenario} reads YAML and JSON files.
    """

    def write(self, name, text):
        folder = self.mktemp()
        os.makedirs(folder)
        path = os.path.join(folder, name)
        with open(path, "w") as file:
            file.write(text)
        return path

    def test_examples_load(self):
        """
        Every example scenario of C{examples/scenarios} is valid.
        """
        paths = sorted(glob.glob(os.path.join(EXAMPLES, "*")))
        self.assertGreaterEqual(len(paths), 2)
        for path in paths:
            self.assertTrue(load_scenario(path).steps, path)

    def test_yaml_and_json_alike(self):
        steps = [{"authorize": "T"}, {"wait": 1}]
        from_yaml = load_scenario(self.write("s.yaml", "- authorize: T\n- wait: 1\n"))
        from_json = load_scenario(self.write("s.json", json.dumps(steps)))
        self.assertEqual(from_yaml.steps, from_json.steps)

    def test_file_errors_name_the_option(self):
        """
        A missing file, a file of another kind, bad syntax and a bad step
        each are one error naming C{--scenario} and the file.
        """
        missing = os.path.abspath(self.mktemp())
        cases = [
            (missing, f"--scenario {missing!r}: No such file or directory"),
        ]
        path = self.write("s.txt", "[]")
        cases.append((path, f"--scenario {path!r}: a .yaml, .yml or .json file, please"))
        path = self.write("s.json", "[")
        cases.append((path, f"--scenario {path!r}: not JSON: Expecting value: line 1 column 2 (char 1)"))
        path = self.write("s.yml", "- charge: {kwh: 1, kw: 0}\n")
        cases.append((path, f"--scenario {path!r}: step 1 (charge): kw must be a positive number, not 0"))
        for path, message in cases:
            with self.assertRaises(ScenarioError) as caught:
                load_scenario(path)
            self.assertEqual(str(caught.exception), message)
        path = self.write("s.yaml", "- a: [\n")
        with self.assertRaises(ScenarioError) as caught:
            load_scenario(path)
        self.assertIn("not YAML", str(caught.exception))
        self.assertNotIn("\n", str(caught.exception))
