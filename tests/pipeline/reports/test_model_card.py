"""The model card's lineage graph, drawn by Graphviz from names the store holds."""

from pipeline.reports.model_card import to_dot, to_svg


def test_a_name_from_the_store_stays_a_label_and_never_becomes_a_link():
    hostile = 'Model", URL="javascript:alert(document.domain)", target="_self'
    nodes = {"a1": (hostile, "artifact", "/m"), "e2": ("Trainer \\ 2", "execution", "done")}
    drawn = to_svg(nodes, [("a1", "e2")])
    links = [line for line in drawn.splitlines() if "xlink:href" in line]
    assert len(links) == 2 and all('xlink:href="#a1"' in l or 'xlink:href="#e2"' in l for l in links)
    assert 'href="javascript' not in drawn and 'target="_self"' not in drawn
    assert to_dot(nodes, []).count(', URL="#') == 2  # one per node: its own anchor
